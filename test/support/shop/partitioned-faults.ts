import { shop as contract } from '../../../examples/shop/contract.ts';
import shop from '../../../examples/shop/index.ts';
import { orders } from '../../../examples/shop/views/orders.ts';
import { defineApplication, defineSqlProjection, type Projection } from '../../../projectors/engine/index.ts';

/**
 * Every application of an event, recorded: one row per event and partition that applied it, in
 * the transaction that moves that partition's checkpoint. An event applied twice (a stale owner's
 * commit landing, a batch replayed past its checkpoint) shows as two rows.
 */
export const applications = defineSqlProjection(contract, {
  name: 'applications',
  version: 1,
  partitions: 8,
  // What orders reads and handles: every event that moves an order.
  sources: orders.sources,
  handles: orders.handles,
  partitionKey: (event) => event.data.orderId,
  // No key: a second application must be counted, not refused.
  tables: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t('applied')} (stream text NOT NULL, sequence bigint NOT NULL)`,
  ],
  view: (t) => `SELECT stream, sequence FROM ${t('applied')}`,
  apply: async (events, sql) => {
    await sql.query(
      `INSERT INTO ${sql.table('applied')} (stream, sequence) SELECT * FROM unnest($1::text[], $2::bigint[])`,
      [events.map((e) => e.stream), events.map((e) => e.sequence)],
    );
  },
});

/**
 * The demo shop as the fault test of partitions runs it: `orders` in 8 partitions beside
 * `customer_stats` and `products` (whole), and `applications` (8 partitions) counting every
 * application of an event. A module, so that child projector processes load it as `VISTA_APP`.
 */
export default defineApplication({
  ...shop,
  projections: [
    ...shop.projections
      .filter((p) => p.name !== 'daily_sales')
      .map((p): Projection => (p.name === 'orders' ? { ...p, partitions: 8 } : p)),
    applications,
  ],
});

/** `VISTA_APP` for a child projector process running this application. */
export const FAULTS_APP = 'test/support/shop/partitioned-faults.ts';
