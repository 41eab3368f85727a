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
});
