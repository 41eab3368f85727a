import shop from '../../../examples/shop/index.ts';
import { defineApplication, type Projection } from '../../../projectors/engine/index.ts';

/** Partition counts of the shop's projections in the partitioned installation. */
export const PARTITIONS: Readonly<Record<string, number>> = { orders: 4, products: 2 };

/**
 * The demo shop with `orders` split into 4 partitions and `products` into 2 (customer_stats
 * and daily_sales stay whole): 8 units for projector processes to share. A module, so that
 * child projector processes load it as `VISTA_APP`.
 */
export default defineApplication({
  ...shop,
  projections: shop.projections.map(
    (p): Projection => (PARTITIONS[p.name] ? { ...p, partitions: PARTITIONS[p.name] } : p),
  ),
});

/** `VISTA_APP` for a child projector process running this application. */
export const PARTITIONED_APP = 'test/support/shop/partitioned.ts';
