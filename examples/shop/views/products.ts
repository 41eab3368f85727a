import { defineDocumentProjection, elasticsearchIndex } from '../../../projectors/engine/index.ts';
import { shop } from '../contract.ts';

/**
 * One product as the `products` index stores it. Orders may arrive before their products, so
 * the counts exist before the catalog fields; `added` says whether `product_added` was seen,
 * and readers only show added products.
 */
export interface ProductDoc {
  added: boolean;
  sku: string | null;
  name: string | null;
  description: string | null;
  category: string | null;
  priceCents: number | null;
  tags: string[];
  /** Sum of adjustments, minus quantities on placed orders, plus those of cancelled orders. */
  stock: number;
  /** Quantities on placed orders that are not cancelled. */
  unitsSold: number;
}

/** What the projection remembers of an order: `order_cancelled` does not repeat its lines. */
export interface OrderLines {
  lines: { productId: string; quantity: number }[];
  cancelled: boolean;
}

const EMPTY: ProductDoc = {
  added: false,
  sku: null,
  name: null,
  description: null,
  category: null,
  priceCents: null,
  tags: [],
  stock: 0,
  unitsSold: 0,
};

/** Units of one product over an order's lines (a product may appear on several lines). */
function unitsOf(lines: readonly { productId: string; quantity: number }[], productId: string): number {
  return lines.reduce((sum, line) => (line.productId === productId ? sum + line.quantity : sum), 0);
}

export const products = defineDocumentProjection(shop, {
  name: 'products',
  version: 1,
  sources: [{ stream: 'CATALOG' }, { stream: 'ORDERS' }],
  handles: [
    'catalog.product_added.v2',
    'catalog.product_updated.v1',
    'catalog.price_changed.v1',
    'catalog.stock_adjusted.v1',
    'orders.order_placed.v1',
    'orders.order_cancelled.v1',
  ],
  lookup: {
    key: (event) =>
      event.type === 'orders.order_placed.v1' || event.type === 'orders.order_cancelled.v1'
        ? event.data.orderId
        : undefined,
    evolve: (record: OrderLines | null, event): OrderLines | null => {
      if (event.type === 'orders.order_placed.v1') {
        return {
          lines: event.data.lines.map(({ productId, quantity }) => ({ productId, quantity })),
          cancelled: false,
        };
      }
      if (event.type === 'orders.order_cancelled.v1') return { lines: record?.lines ?? [], cancelled: true };
      return record;
    },
  },
  key: (event, order) => {
    switch (event.type) {
      case 'orders.order_placed.v1':
        return event.data.lines.map((line) => line.productId);
      case 'orders.order_cancelled.v1':
        // A second cancellation, or one of an order never seen, changes no product.
        return order && !order.cancelled ? order.lines.map((line) => line.productId) : [];
      default:
        return event.data.productId;
    }
  },
  evolve: (current: ProductDoc | null, event, productId, order): ProductDoc => {
    const doc = current ?? EMPTY;
    switch (event.type) {
      case 'catalog.product_added.v2': {
        const { sku, name, description, category, priceCents, tags } = event.data;
        return { ...doc, added: true, sku, name, description, category, priceCents, tags };
      }
      case 'catalog.product_updated.v1': {
        const { name, description, category } = event.data;
        return {
          ...doc,
          name: name ?? doc.name,
          description: description ?? doc.description,
          category: category ?? doc.category,
        };
      }
      case 'catalog.price_changed.v1':
        return { ...doc, priceCents: event.data.priceCents };
      case 'catalog.stock_adjusted.v1':
        return { ...doc, stock: doc.stock + event.data.delta };
      case 'orders.order_placed.v1': {
        const units = unitsOf(event.data.lines, productId);
        return { ...doc, stock: doc.stock - units, unitsSold: doc.unitsSold + units };
      }
      case 'orders.order_cancelled.v1': {
        const units = unitsOf(order?.lines ?? [], productId);
        return { ...doc, stock: doc.stock + units, unitsSold: doc.unitsSold - units };
      }
    }
  },
  // The index maps the public fields from their kinds (name and description in full text);
  // `added` is stored to hide products not added yet, and not served.
  target: elasticsearchIndex({ properties: { added: { type: 'boolean' } }, visibleField: 'added' }),
  api: {
    type: 'Product',
    description: 'A product of the catalogue, as the products view in Elasticsearch sees it.',
    noun: { one: 'product', many: 'products' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The product id.' },
      sku: { kind: 'string', description: 'Stock keeping unit.', filterable: true, sortable: true },
      name: { kind: 'string', description: 'Display name.', filterable: true, sortable: true },
      description: { kind: 'string', description: 'Free-text description.' },
      category: { kind: 'string', description: 'Category.', filterable: true, sortable: true },
      priceCents: { kind: 'long', description: 'Latest price, in cents.', filterable: true, sortable: true },
      tags: {
        kind: 'string',
        list: true,
        description: 'Tags (empty for products added before tags existed).',
      },
      stock: {
        kind: 'long',
        description: 'Adjustments, minus quantities on placed orders, plus those of cancelled orders.',
        filterable: true,
        sortable: true,
      },
      unitsSold: {
        kind: 'long',
        description: 'Quantities on placed orders that are not cancelled.',
        filterable: true,
        sortable: true,
      },
    },
    tieBreaker: 'sku',
    order: { by: [{ sku: 'ASC' }], says: 'by SKU' },
    lookup: { description: 'One product by id, or null when it has not been added (yet).' },
    texts: { connection: 'A page of products, most relevant first.' },
    search: {
      fields: { name: 2, description: 1 },
      shortcut: {
        name: 'searchProducts',
        query: 'Words to look for in names and descriptions (plain text, no query syntax).',
        description: `Full-text search over name and description (name weighs double), most relevant first,
optionally only in one category; every added product when query is empty or absent.
query is at most 500 characters and first at most 100.`,
        args: { category: { field: 'category', description: 'Only products of this category (exact).' } },
      },
    },
  },
});
