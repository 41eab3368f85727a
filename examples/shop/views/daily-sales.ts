import { defineSqlProjection, type EventsOfType } from '../../../projectors/engine/index.ts';
import { type ShopContract, shop } from '../contract.ts';

type Handled = 'orders.order_placed.v1' | 'catalog.product_added.v2' | 'catalog.product_updated.v1';

/** Units and revenue of one product on one (UTC) day, summed over a batch. */
export interface ProductDaySales {
  productId: string;
  day: string;
  units: number;
  revenueCents: number;
}

/**
 * The pure core of `daily_sales`: a batch's placed order lines summed per product and day, and
 * the latest category each product was given. Sales are kept per product and joined to the
 * category when read, so orders placed before their product was added (or re-categorised)
 * land in the category the catalog says now, whatever the interleaving.
 */
export function planDailySales(events: readonly EventsOfType<ShopContract, Handled>[]): {
  sales: ProductDaySales[];
  categories: Map<string, string>;
} {
  const sales = new Map<string, ProductDaySales>();
  const categories = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'orders.order_placed.v1') {
      const day = event.time.slice(0, 10);
      for (const line of event.data.lines) {
        const key = `${line.productId}\u0000${day}`;
        const entry = sales.get(key) ?? { productId: line.productId, day, units: 0, revenueCents: 0 };
        entry.units += line.quantity;
        entry.revenueCents += line.quantity * line.unitPriceCents;
        sales.set(key, entry);
      }
    } else if (event.data.category !== undefined) {
      categories.set(event.data.productId, event.data.category);
    }
  }
  return { sales: [...sales.values()], categories };
}

/**
 * Per day and category: units sold and revenue of the orders placed that day (gross: a later
 * cancellation does not take them back). The worked example of README's "Add a projector".
 */
export const dailySales = defineSqlProjection(shop, {
  name: 'daily_sales',
  version: 1,
  sources: [{ stream: 'ORDERS' }, { stream: 'CATALOG' }],
  handles: ['orders.order_placed.v1', 'catalog.product_added.v2', 'catalog.product_updated.v1'],
  tables: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table('product_days')} (
       product_id text NOT NULL,
       day date NOT NULL,
       units bigint NOT NULL,
       revenue_cents bigint NOT NULL,
       PRIMARY KEY (day, product_id))`,
    `CREATE TABLE IF NOT EXISTS ${table('categories')} (product_id text PRIMARY KEY, category text NOT NULL)`,
  ],
  view: (table) =>
    `SELECT s.day, coalesce(c.category, 'uncategorized') AS category,
            sum(s.units)::bigint AS units, sum(s.revenue_cents)::bigint AS revenue_cents
       FROM ${table('product_days')} s LEFT JOIN ${table('categories')} c USING (product_id)
      GROUP BY s.day, coalesce(c.category, 'uncategorized')`,
  apply: async (events, sql) => {
    const { sales, categories } = planDailySales(events);
    if (sales.length > 0) {
      await sql.query(
        `INSERT INTO ${sql.table('product_days')} AS t (product_id, day, units, revenue_cents)
         SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[])
         ON CONFLICT (day, product_id) DO UPDATE
           SET units = t.units + EXCLUDED.units, revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents`,
        [
          sales.map((s) => s.productId),
          sales.map((s) => s.day),
          sales.map((s) => s.units),
          sales.map((s) => s.revenueCents),
        ],
      );
    }
    if (categories.size > 0) {
      await sql.query(
        `INSERT INTO ${sql.table('categories')} (product_id, category)
         SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (product_id) DO UPDATE SET category = EXCLUDED.category`,
        [[...categories.keys()], [...categories.values()]],
      );
    }
  },
});
