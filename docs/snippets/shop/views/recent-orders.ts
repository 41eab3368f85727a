import { defineDocumentProjection, postgresTable } from '../../../../projectors/engine/index.ts';
import { shop } from '../contract.ts';

/** Not registered in the application: the example of a source that starts after sequence 1. */
// #region start-positions
export const recentOrders = defineDocumentProjection(shop, {
  name: 'recent_orders',
  version: 1,
  sources: [
    // Default: { from: 'beginning' }. Also { from: 'sequence', sequence: 5000 } and { from: 'new' }.
    { stream: 'ORDERS', start: { from: 'time', time: '2026-06-01T00:00:00Z' } },
  ],
  handles: ['orders.order_placed.v1'],
  key: (event) => event.data.orderId,
  evolve: (_doc: { customerId: string } | null, event) => ({ customerId: event.data.customerId }),
  target: postgresTable<{ customerId: string }>({ columns: { customerId: 'text' } }),
});
// #endregion
