import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Installation, isolatedInstallation, sqlSpec } from '../../../projectors/engine/testing/face.ts';
import { OrderPlaced } from '../shop/contract.ts';
import app from '../shop/index.ts';
import { customers } from '../shop/views/customers.ts';
import { event } from './events.ts';

// #region sql-spec
describe('customers view (on real PostgreSQL)', () => {
  // Its own database and namespace of streams and indices on the running services.
  let env: Installation;
  beforeAll(async () => {
    env = await isolatedInstallation(app);
  });
  afterAll(() => env?.cleanup());

  it('counts the orders of each customer', async () => {
    const line = [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }];
    await sqlSpec(customers, env.infrastructure.pool, (actual, expected) => expect(actual).toEqual(expected))
      .given(
        event(OrderPlaced, { orderId: 'o1', customerId: 'c1', lines: line }, '2026-03-01T10:00:00Z'),
        event(OrderPlaced, { orderId: 'o2', customerId: 'c1', lines: line }, '2026-03-02T10:00:00Z'),
      )
      .thenRows([
        {
          customer_id: 'c1',
          order_count: 2,
          first_order_at: new Date('2026-03-01T10:00:00Z'),
          last_order_at: new Date('2026-03-02T10:00:00Z'),
        },
      ]);
  });
});
// #endregion
