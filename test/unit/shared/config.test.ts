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
    });
    expect(loadConfig({}).OPERATOR_TOKEN).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(4000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/vista'],
    ['NATS_URL', 'not a url'],
    ['VISTA_NAMESPACE', 'Has Spaces'],
    ['STALL_AFTER_S', '0'],
    ['OPERATOR_TOKEN', 'short'],
  ])('a bad %s stops start-up with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}=`));
  });

  it('never prints the operator token, even a bad one', () => {
    expect(() => loadConfig({ OPERATOR_TOKEN: 'tiny-secret' })).toThrow(
      /OPERATOR_TOKEN=<hidden, 11 characters>: must be at least 16 characters/,
    );
    expect(() => loadConfig({ OPERATOR_TOKEN: 'tiny-secret' })).not.toThrow(/tiny-secret/);
  });
});
