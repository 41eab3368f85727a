import { shop } from '../../../examples/shop/contract.ts';
import {
  defineDocumentProjection,
  elasticsearchIndex,
  type PoisonPolicy,
  postgresTable,
} from '../../../projectors/engine/internal.ts';

/** A product's stock, as the small test views keep it. */
export interface Stock {
  stock: number;
}

export interface StockViewOptions {
  readonly version?: number;
  /** What happens after a poison event is dead-lettered (the definition's default: skip). */
  readonly onPoison?: PoisonPolicy;
  /**
   * The view's "bug": the adjustments (by reason) its `evolve` throws on. A test "deploys the
   * fix" by making it answer false.
   */
  readonly failsOn?: (reason: string) => boolean;
  /** Keep it in an Elasticsearch index (`stock` mapped as long); a PostgreSQL table otherwise. */
  readonly store?: 'postgres' | 'elasticsearch';
  /** Split it by product into this many partitions (default 1). */
  readonly partitions?: number;
}

const target = (options: StockViewOptions) =>
  options.store === 'elasticsearch'
    ? elasticsearchIndex({ properties: { stock: { type: 'long' } } })
    : postgresTable<Stock>({ columns: { stock: 'bigint' } });

/**
 * The small view many engine tests run: per product, the sum of its stock adjustments (CATALOG
 * `stock_adjusted`), served by no API.
 *
 * @example
 *   const stock = stockView('stock_switch');
 *   const halting = stockView('stock_halt', { onPoison: 'halt', failsOn: (reason) => reason === 'recount' });
 */
export function stockView(name: string, options: StockViewOptions = {}) {
  return defineDocumentProjection(shop, {
    name,
    version: options.version ?? 1,
    sources: [{ stream: 'CATALOG' }],
    handles: ['catalog.stock_adjusted.v1'],
    ...(options.onPoison ? { onPoison: options.onPoison } : {}),
    ...(options.partitions ? { partitions: options.partitions } : {}),
    key: (e) => e.data.productId,
    evolve: (doc: Stock | null, e): Stock => {
      if (options.failsOn?.(e.data.reason)) throw new Error('recount not supported yet');
      return { stock: (doc?.stock ?? 0) + e.data.delta };
    },
    target: target(options),
  });
}

/**
 * The stock view over two streams: its adjustments minus the quantities placed on orders
 * (ORDERS `order_placed`, which may name a product on several lines).
 */
export function orderedStockView(name: string, options: Pick<StockViewOptions, 'version' | 'store'> = {}) {
  return defineDocumentProjection(shop, {
    name,
    version: options.version ?? 1,
    sources: [{ stream: 'CATALOG' }, { stream: 'ORDERS' }],
    handles: ['catalog.stock_adjusted.v1', 'orders.order_placed.v1'],
    key: (e) =>
      e.type === 'catalog.stock_adjusted.v1' ? e.data.productId : e.data.lines.map((l) => l.productId),
    evolve: (doc: Stock | null, e, key): Stock => {
      const before = doc?.stock ?? 0;
      if (e.type === 'catalog.stock_adjusted.v1') return { stock: before + e.data.delta };
      const ordered = e.data.lines.filter((l) => l.productId === key).reduce((sum, l) => sum + l.quantity, 0);
      return { stock: before - ordered };
    },
    target: target(options),
  });
}
