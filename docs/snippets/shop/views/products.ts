import { defineDocumentProjection, elasticsearchIndex } from '../../../../projectors/engine/index.ts';
import { shop } from '../contract.ts';

// #region products
export interface ProductDoc {
  added: boolean;
  sku: string | null;
  name: string | null;
  description: string | null;
  category: string | null;
  unitsSold: number;
}

const EMPTY: ProductDoc = {
  added: false,
  sku: null,
  name: null,
  description: null,
  category: null,
  unitsSold: 0,
};

/** What the projection remembers of an order: `order_cancelled` does not repeat its lines. */
interface OrderLines {
  lines: { productId: string; quantity: number }[];
  cancelled: boolean;
}

const unitsOf = (order: { lines: readonly { productId: string; quantity: number }[] }, productId: string) =>
  order.lines.reduce((sum, line) => (line.productId === productId ? sum + line.quantity : sum), 0);

export const products = defineDocumentProjection(shop, {
  name: 'products',
  version: 1,
  sources: [{ stream: 'CATALOG' }, { stream: 'ORDERS' }],
  handles: ['catalog.product_added.v2', 'orders.order_placed.v1', 'orders.order_cancelled.v1'],
  lookup: {
    // Kept per order in PostgreSQL, committed with the checkpoint.
    key: (event) => (event.type === 'catalog.product_added.v2' ? undefined : event.data.orderId),
    evolve: (order: OrderLines | null, event): OrderLines | null => {
      if (event.type === 'orders.order_placed.v1') return { lines: event.data.lines, cancelled: false };
      if (event.type === 'orders.order_cancelled.v1') return { lines: order?.lines ?? [], cancelled: true };
      return order;
    },
  },
  // `key` and `evolve` see the lookup record as it was before the event.
  key: (event, order) => {
    switch (event.type) {
      case 'orders.order_placed.v1':
        return event.data.lines.map((line) => line.productId); // one event, several documents
      case 'orders.order_cancelled.v1':
        return order && !order.cancelled ? order.lines.map((line) => line.productId) : [];
      default:
        return event.data.productId;
    }
  },
  evolve: (current: ProductDoc | null, event, productId, order): ProductDoc => {
    const doc = current ?? EMPTY;
    switch (event.type) {
      case 'catalog.product_added.v2': {
        const { sku, name, description, category } = event.data;
        return { ...doc, added: true, sku, name, description, category };
      }
      case 'orders.order_placed.v1':
        return { ...doc, unitsSold: doc.unitsSold + unitsOf(event.data, productId) };
      case 'orders.order_cancelled.v1':
        return { ...doc, unitsSold: doc.unitsSold - (order ? unitsOf(order, productId) : 0) };
    }
  },
  // Public fields are mapped from their kinds (`name`, searched and sorted: text + keyword);
  // only `added`, stored and not served, needs a mapping of its own.
  target: elasticsearchIndex({
    properties: { added: { type: 'boolean' } },
    visibleField: 'added', // documents of products not added yet are kept, not served
  }),
  api: {
    type: 'Product',
    description: 'A product of the catalogue.',
    noun: { one: 'product', many: 'products' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The product id.' },
      sku: { kind: 'string', description: 'Stock keeping unit.', filterable: true, sortable: true },
      name: { kind: 'string', description: 'Display name.', filterable: true, sortable: true },
      description: { kind: 'string', description: 'Free-text description.' },
      category: { kind: 'string', description: 'Category.', filterable: true },
      unitsSold: { kind: 'long', description: 'Units on orders not cancelled.', sortable: true },
    },
    tieBreaker: 'sku', // unique and sortable: Elasticsearch cannot sort on _id
    order: { by: [{ sku: 'ASC' }], says: 'by SKU' },
    search: {
      fields: { name: 2, description: 1 }, // weights
      shortcut: {
        name: 'searchProducts',
        description: 'Full-text search over name and description, optionally in one category.',
        query: 'Words to look for (plain text, no query syntax).',
        args: { category: { field: 'category', description: 'Only this category.' } },
      },
    },
  },
});
// #endregion
