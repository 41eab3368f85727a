import { describe, expect, it } from 'vitest';
import {
  fairShare,
  type Projection,
  toRelease,
  type Unit,
} from '../../../../../projectors/engine/internal.ts';

const projection = (name: string) => ({ name }) as Projection;
const orders = projection('orders');
const products = projection('products');
const stats = projection('customer_stats');
const label = (units: readonly Unit[]) => units.map((u) => `${u.projection.name}#${u.partition}`);

describe('fairShare', () => {
  it('divides the units among the processes, rounded up, so that together they own all', () => {
    expect(fairShare(11, 1)).toBe(11);
    expect(fairShare(11, 2)).toBe(6);
    expect(fairShare(11, 3)).toBe(4);
    expect(fairShare(11, 4)).toBe(3);
    expect(fairShare(3, 5)).toBe(1);
    for (let units = 1; units < 40; units++)
      for (let processes = 1; processes < 10; processes++)
        expect(fairShare(units, processes) * processes).toBeGreaterThanOrEqual(units);
  });
});

describe('toRelease', () => {
  it('gives nothing up within the share', () => {
    expect(toRelease([{ projection: orders, partition: 0 }], 1)).toEqual([]);
  });

  it("gives up the partitions of the projection held most, so a projection's partitions spread", () => {
    const owned: Unit[] = [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((partition) => ({ projection: orders, partition })),
      { projection: products, partition: 0 },
      { projection: stats, partition: 0 },
    ];
    expect(label(toRelease(owned, 5))).toEqual(['orders#7', 'orders#6', 'orders#5', 'orders#4', 'orders#3']);
    expect(label(toRelease(owned, 2))).toEqual([
      'orders#7',
      'orders#6',
      'orders#5',
      'orders#4',
      'orders#3',
      'orders#2',
      'orders#1',
      'orders#0',
    ]);
  });
});
