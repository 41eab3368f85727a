import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../shared/config.ts';

describe('config', () => {
  it('gives the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/vista',
      ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
      PORT: 4000,
      STALL_AFTER_S: 60,
      BATCH_MAX_BYTES: 8 * 1024 * 1024,
      PULL_BUDGET_BYTES: 32 * 1024 * 1024,
    });
    expect(loadConfig({}).OPERATOR_TOKEN).toBeUndefined();
  });

  it('takes a comma-separated list of NATS URLs for a cluster', () => {
    const list = 'nats://n1:4222,nats://n2:4222, nats://n3:4222';
    expect(loadConfig({ NATS_URL: list }).NATS_URL).toBe(list);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(4000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/vista'],
    ['NATS_URL', 'not a url'],
    ['NATS_URL', 'nats://n1:4222,http://n2:4222'],
    ['VISTA_NAMESPACE', 'Has Spaces'],
    ['STALL_AFTER_S', '0'],
    ['OPERATOR_TOKEN', 'short'],
    ['BATCH_MAX_BYTES', '1000'],
    ['BATCH_MAX_BYTES', '8MB'],
    ['BATCH_MAX_BYTES', '1e7'],
    ['BATCH_MAX_BYTES', '2147483648'],
    ['PULL_BUDGET_BYTES', '32MB'],
    ['PULL_BUDGET_BYTES', '1e9'],
    ['PULL_BUDGET_BYTES', '2147483648'],
    ['HEAP_GROWTH_PERCENT', '5'],
    ['HEAP_GROWTH_PERCENT', '301'],
    ['HEAP_GROWTH_PERCENT', '1.5'],
    ['HEAP_GROWTH_PERCENT', '50%'],
    ['ELASTICSEARCH_REFRESH_MS', '1001'],
    ['ELASTICSEARCH_REFRESH_MS', '-5'],
    ['ELASTICSEARCH_REFRESH_MS', '250ms'],
    ['BATCH_LINGER_MS', '21'],
    ['BATCH_LINGER_MS', '-1'],
  ])('a bad %s stops start-up with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}=`));
  });

  it.each(['4e3', '0x1150', '1_000', ' 4000', '4000.0', '+4000', '-1', '0'])(
    'takes ports as decimal integers 1-65535 only: PORT=%s is refused',
    (value) => {
      expect(() => loadConfig({ PORT: value })).toThrow(
        /PORT=.*decimal integer from 1 to 65535|from 1 to 65535/,
      );
    },
  );

  it('lingers over a partial batch only if BATCH_LINGER_MS says so, within BATCH_MAX_WAIT_MS', () => {
    expect(loadConfig({}).BATCH_LINGER_MS).toBe(0);
    expect(loadConfig({ BATCH_LINGER_MS: '20' }).BATCH_LINGER_MS).toBe(20);
    expect(loadConfig({ BATCH_LINGER_MS: '500', BATCH_MAX_WAIT_MS: '500' }).BATCH_LINGER_MS).toBe(500);
    expect(() => loadConfig({ BATCH_LINGER_MS: '21' })).toThrow(
      /BATCH_LINGER_MS="21": must be at most BATCH_MAX_WAIT_MS/,
    );
  });

  it('takes METRICS_PORT 0 (any free port), and decimal integers elsewhere too', () => {
    expect(loadConfig({ METRICS_PORT: '0', PORT: '08080' })).toMatchObject({ METRICS_PORT: 0, PORT: 8080 });
    expect(() => loadConfig({ METRICS_PORT: '0x10' })).toThrow(/METRICS_PORT=/);
    expect(() => loadConfig({ QUERY_TIMEOUT_MS: '1e4' })).toThrow(/QUERY_TIMEOUT_MS=/);
  });

  it('leaves the heap growth to V8 unless HEAP_GROWTH_PERCENT says how far', () => {
    expect(loadConfig({}).HEAP_GROWTH_PERCENT).toBe(0);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '50' }).HEAP_GROWTH_PERCENT).toBe(50);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '5' })).toThrow(
      /HEAP_GROWTH_PERCENT="5": must be 0 \(V8 decides\) or from 10 to 300/,
    );
  });

  it('refreshes live indices after every batch unless ELASTICSEARCH_REFRESH_MS spaces them, within a quarter of the lease', () => {
    expect(loadConfig({}).ELASTICSEARCH_REFRESH_MS).toBe(0);
    expect(loadConfig({ ELASTICSEARCH_REFRESH_MS: '250' }).ELASTICSEARCH_REFRESH_MS).toBe(250);
    expect(
      loadConfig({ ELASTICSEARCH_REFRESH_MS: '1000', LEASE_TTL_MS: '4000' }).ELASTICSEARCH_REFRESH_MS,
    ).toBe(1000);
    // A batch waits for its refresh inside its transaction, which the server ends after half the lease.
    expect(() => loadConfig({ ELASTICSEARCH_REFRESH_MS: '800', LEASE_TTL_MS: '2000' })).toThrow(
      /ELASTICSEARCH_REFRESH_MS.*at most a quarter of LEASE_TTL_MS/,
    );
  });

  it.each([
    ['DATABASE_URL', 'mysql://u:s3cret@h/db', '"mysql://u:***@h/db"'],
    ['API_DATABASE_URL', 'postgres://u:s3cret@h:notaport/db', '"postgres://u:***@h:notaport/db"'],
    ['NATS_URL', 'nats://a:s3cret@n1:4222,http://b:s3cret@n2', '"nats://a:***@n1:4222,http://b:***@n2"'],
    ['ELASTICSEARCH_URL', 'ftp://elastic:s3cret@es', '"ftp://elastic:***@es"'],
  ])('never prints the password of a bad %s', (variable, value, shown) => {
    let message = '';
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${variable}=${shown}:`);
    expect(message).not.toContain('s3cret');
  });

  it('never prints the operator token, even a bad one', () => {
    expect(() => loadConfig({ OPERATOR_TOKEN: 'tiny-secret' })).toThrow(
      /OPERATOR_TOKEN=<hidden, 11 characters>: must be at least 16 characters/,
    );
    expect(() => loadConfig({ OPERATOR_TOKEN: 'tiny-secret' })).not.toThrow(/tiny-secret/);
  });

  it('takes sizes in bytes as plain integers, naming the bounds of a bad one', () => {
    expect(loadConfig({ BATCH_MAX_BYTES: '16777216' }).BATCH_MAX_BYTES).toBe(16 * 1024 * 1024);
    expect(() => loadConfig({ BATCH_MAX_BYTES: '1000' })).toThrow(
      /BATCH_MAX_BYTES="1000": must be at least 65536 \(64 KiB\)/,
    );
    expect(loadConfig({ PULL_BUDGET_BYTES: '16777216' }).PULL_BUDGET_BYTES).toBe(16 * 1024 * 1024);
    expect(() => loadConfig({ PULL_BUDGET_BYTES: '1000' })).toThrow(
      /PULL_BUDGET_BYTES="1000": must be at least 4194304 \(4 MiB\)/,
    );
  });
});
