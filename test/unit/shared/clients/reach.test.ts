import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { reach, redactUrl, ServiceUnreachableError } from '../../../../shared/clients/reach.ts';

const log = pino({ level: 'silent' });

describe('reaching a service at start-up', () => {
  it('hides passwords in URLs and in lists of URLs', () => {
    expect(redactUrl('postgres://vista:s3cret@db:5432/vista')).toBe('postgres://vista:***@db:5432/vista');
    expect(redactUrl('nats://a:1@n1:4222,nats://n2:4222')).toBe('nats://a:***@n1:4222,nats://n2:4222');
    expect(redactUrl('postgres://db/vista')).toBe('postgres://db/vista');
  });

  it('retries until the service answers', async () => {
    let calls = 0;
    const value = await reach(
      'NATS',
      'nats://n:4222',
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return 'connected';
      },
      { retryForMs: 10_000, log },
    );
    expect([value, calls]).toEqual(['connected', 3]);
  });

  it('gives up after its bound, naming the service, the URL and the reason', async () => {
    const failing = reach(
      'PostgreSQL',
      'postgres://u:pw@db:5432/x',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      { retryForMs: 300, log },
    );
    await expect(failing).rejects.toBeInstanceOf(ServiceUnreachableError);
    await expect(failing).rejects.toThrow(
      /^PostgreSQL at postgres:\/\/u:\*\*\*@db:5432\/x is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:5432\); gave up after \d+ s of retries \(STARTUP_RETRY_MS=300\)$/,
    );
  });

  it('gives up at once on a failure retrying cannot mend', async () => {
    let calls = 0;
    const failing = reach(
      'PostgreSQL',
      'postgres://u@db/x',
      async () => {
        calls++;
        throw Object.assign(new Error('password authentication failed'), { code: '28P01' });
      },
      { retryForMs: 60_000, log, permanent: (e) => (e as { code?: string }).code === '28P01' },
    );
    await expect(failing).rejects.toThrow(
      /^PostgreSQL at postgres:\/\/u@db\/x refused the connection: 28P01: password/,
    );
    expect(calls).toBe(1);
  });

  it('stops retrying when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const failing = reach(
      'NATS',
      'nats://n:4222',
      async () => {
        throw new Error('down');
      },
      { retryForMs: 600_000, log, signal: controller.signal },
    );
    controller.abort();
    await expect(failing).rejects.toBeInstanceOf(ServiceUnreachableError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
