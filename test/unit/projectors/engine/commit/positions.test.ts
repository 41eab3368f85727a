import { describe, expect, it } from 'vitest';
import { hasReached } from '../../../../../projectors/engine/commit/positions.ts';

describe('whether a projection has reached the positions a client needs', () => {
  it('compares each stream the projection reads', () => {
    expect(hasReached({ ORDERS: 10, PAYMENTS: 4 }, { ORDERS: 10 })).toBe(true);
    expect(hasReached({ ORDERS: 10, PAYMENTS: 4 }, { ORDERS: 11 })).toBe(false);
    expect(hasReached({ ORDERS: 10, PAYMENTS: 4 }, { ORDERS: 9, PAYMENTS: 5 })).toBe(false);
  });

  it('ignores streams the projection does not read', () => {
    expect(hasReached({ ORDERS: 10, PAYMENTS: 4 }, { CATALOG: 1000 })).toBe(true);
  });

  it('a projection without a checkpoint has reached nothing', () => {
    expect(hasReached(undefined, { ORDERS: 1 })).toBe(false);
  });
});
