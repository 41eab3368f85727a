import { type KnownOrder, planCustomerStats } from '../../../examples/shop/views/customer-stats.ts';

type Handled = Parameters<typeof planCustomerStats>[0][number];

export interface CustomerTotals {
  orderCount: number;
  cancelledCount: number;
  spendCents: number;
  first: string | null;
  last: string | null;
}

/** Applies customer_stats plans batch by batch as its SQL does: orders replaced, counters incremented. */
export function foldCustomerStats(batches: readonly (readonly Handled[])[]): Record<string, CustomerTotals> {
  const known = new Map<string, KnownOrder>();
  const totals = new Map<string, CustomerTotals>();
  for (const batch of batches) {
    const plan = planCustomerStats(batch, known);
    for (const [id, order] of plan.orders) known.set(id, order);
    for (const [id, d] of plan.customers) {
      const t = totals.get(id) ?? {
        orderCount: 0,
        cancelledCount: 0,
        spendCents: 0,
        first: null,
        last: null,
      };
      t.orderCount += d.orderCount;
      t.cancelledCount += d.cancelledCount;
      t.spendCents += d.spendCents;
      if (d.firstOrderAt && (!t.first || d.firstOrderAt < t.first)) t.first = d.firstOrderAt;
      if (d.lastOrderAt && (!t.last || d.lastOrderAt > t.last)) t.last = d.lastOrderAt;
      totals.set(id, t);
    }
  }
  return Object.fromEntries(totals);
}
