import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerStats } from '../../examples/shop/views/customer-stats.ts';
import { createPool, ensureDatabase, type Pool } from '../../shared/clients/postgres.ts';
import { loadConfig } from '../../shared/config.ts';
import { sqlSpec } from '../support/given-when-then.ts';
import { orderCancelled, orderPlaced, paymentCaptured } from '../support/shop/events.ts';

const line = [{ productId: 'p1', quantity: 2, unitPriceCents: 500 }];

/** The SQL half of the engine's spec helpers, on real PostgreSQL, as a team would test its own SQL views. */
describe('sqlSpec', () => {
  let pool: Pool;
  beforeAll(async () => {
    const url = loadConfig(process.env).DATABASE_URL;
    await ensureDatabase(url);
    pool = createPool(url, { applicationName: 'vista-spec-test' });
  });
  afterAll(() => pool?.end());

  it('applies a SQL projection batch by batch and one event at a time, and compares its view', async () => {
    await sqlSpec(customerStats, pool)
      .given(
        orderPlaced('o1', 'c1', line, '2026-01-01T00:00:00.000Z'),
        paymentCaptured('p1', 'o1', 1000),
        orderPlaced('o2', 'c1', line, '2026-01-02T00:00:00.000Z'),
        orderCancelled('o2'),
      )
      .thenRows([
        {
          customer_id: 'c1',
          order_count: 2,
          cancelled_count: 1,
          lifetime_spend_cents: 1000,
          first_order_at: new Date('2026-01-01T00:00:00.000Z'),
          last_order_at: new Date('2026-01-02T00:00:00.000Z'),
        },
      ]);
  });

  it('fails when the view differs, and leaves no tables behind', async () => {
    const spec = sqlSpec(customerStats, pool).given(orderPlaced('o1', 'c1', line));
    await expect(spec.thenRows([])).rejects.toThrow();
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'vista_spec_%'",
    );
    expect(rows[0]?.n).toBe(0);
  });
});
