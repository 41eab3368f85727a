import { describe, expect, it } from 'vitest';
import { compareStream, filterCovers } from '../../../../shared/clients/jetstream-streams.ts';

describe('an existing stream against its definition', () => {
  it.each([
    ['orders.>', 'orders.>', true],
    ['>', 'orders.>', true],
    ['orders.*', 'orders.>', false],
    ['orders.*.*', 'orders.>', false],
    ['orders.>', 'orders.*.x', true],
    ['payments.>', 'orders.>', false],
    ['t1.orders.>', 'orders.>', false],
  ])('%s covers %s: %s', (filter, wanted, covers) => {
    expect(filterCovers(filter, wanted)).toBe(covers);
  });

  it('reports each differing setting, and subjects that do not cover the contract as fatal', () => {
    const want = { name: 'ORDERS', subjects: ['orders.>'], num_replicas: 1, duplicate_window: 120e9 };
    const differences = compareStream(want, {
      subjects: ['orders.*'],
      num_replicas: 3,
      duplicate_window: 120e9,
    });
    expect(differences.map((d) => [d.setting, d.have, d.fatal])).toEqual([
      ['subjects', 'orders.*', true],
      ['num_replicas', '3', false],
    ]);
  });

  it('reports every limit that differs from the contract (messages, bytes, age, per subject, size, discard)', () => {
    const want = { name: 'ORDERS', subjects: ['orders.>'], max_age: 0 };
    const differences = compareStream(want, {
      subjects: ['orders.>'],
      max_msgs: 1000,
      max_bytes: 1_000_000,
      max_age: 3600e9,
      max_msgs_per_subject: 1,
      max_msg_size: 1024,
      discard: 'new' as never,
    });
    expect(differences.map((d) => [d.setting, d.want, d.have, d.fatal])).toEqual([
      ['max_msgs', '-1', '1000', false],
      ['max_bytes', '-1', '1000000', false],
      ['max_age (ns)', '0', '3600000000000', false],
      ['max_msgs_per_subject', '-1', '1', false],
      ['max_msg_size', '-1', '1024', false],
      ['discard', 'old', 'new', false],
    ]);
    // A stream with JetStream's defaults (no limits) differs in nothing.
    expect(
      compareStream(want, {
        subjects: ['orders.>'],
        max_msgs: -1,
        max_bytes: -1,
        max_age: 0,
        discard: 'old' as never,
      }),
    ).toEqual([]);
  });
});
