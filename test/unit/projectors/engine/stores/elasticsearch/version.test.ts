import { describe, expect, it } from 'vitest';
import {
  epochOfVersion,
  MAX_POSITION_TOTAL,
  versionOf,
} from '../../../../../../projectors/engine/stores/elasticsearch/version.ts';

describe('an Elasticsearch document version', () => {
  it('orders by epoch first: a newer owner wins whatever positions either holds', () => {
    const stale = BigInt(versionOf(1, { CATALOG: 1, ORDERS: 300 }));
    const newer = BigInt(versionOf(2, { CATALOG: 2 }));
    expect(newer > stale).toBe(true);
  });

  it('grows with the positions a document absorbs within one epoch', () => {
    expect(
      BigInt(versionOf(3, { CATALOG: 5, ORDERS: 7 })) > BigInt(versionOf(3, { CATALOG: 5, ORDERS: 6 })),
    ).toBe(true);
    expect(versionOf(3, { CATALOG: 5 })).toBe(versionOf(3, { CATALOG: 5 }));
  });

  it('gives back its epoch when read as a JavaScript number, even at the largest total and epoch', () => {
    for (const epoch of [0, 1, 2, 1000, 2 ** 22 - 1]) {
      for (const total of [0, 1, 2 ** 32, MAX_POSITION_TOTAL]) {
        const version = Number(versionOf(epoch, { ORDERS: total }));
        expect(epochOfVersion(version)).toBe(epoch);
      }
    }
  });

  it('refuses totals and epochs it cannot carry, naming them', () => {
    expect(() => versionOf(1, { ORDERS: MAX_POSITION_TOTAL + 1 })).toThrow(/exceeds/);
    expect(() => versionOf(2 ** 22, { ORDERS: 1 })).toThrow(/epoch 4194304/);
  });
});
