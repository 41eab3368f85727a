import { z } from 'zod';
import { eventType } from '../../../projectors/engine/index.ts';

const id = z.string().min(1).max(100);
const cents = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const productAddedV1Fields = {
  productId: id,
  sku: z.string().min(1).max(100),
  name: z.string().min(1).max(500),
  description: z.string().max(10_000),
  category: z.string().min(1).max(100),
  priceCents: cents,
};

/** The first shape of `product_added`; still on the streams, upcast to v2 before handlers see it. */
export const ProductAddedV1 = eventType({
  type: 'catalog.product_added.v1',
  stream: 'CATALOG',
  schema: z.object(productAddedV1Fields),
  aggregateId: (data) => data.productId,
});

/** v2 adds `tags`; v1 events get `[]`. */
export const ProductAdded = eventType({
  type: 'catalog.product_added.v2',
  stream: 'CATALOG',
  schema: z.object({ ...productAddedV1Fields, tags: z.array(z.string().min(1).max(50)).max(20) }),
  aggregateId: (data) => data.productId,
});

export const ProductUpdated = eventType({
  type: 'catalog.product_updated.v1',
  stream: 'CATALOG',
  schema: z.object({
    productId: id,
    name: productAddedV1Fields.name.optional(),
    description: productAddedV1Fields.description.optional(),
    category: productAddedV1Fields.category.optional(),
  }),
  aggregateId: (data) => data.productId,
});

export const PriceChanged = eventType({
  type: 'catalog.price_changed.v1',
  stream: 'CATALOG',
  schema: z.object({ productId: id, priceCents: cents }),
  aggregateId: (data) => data.productId,
});

export const StockAdjusted = eventType({
  type: 'catalog.stock_adjusted.v1',
  stream: 'CATALOG',
  schema: z.object({
    productId: id,
    delta: z.number().int().min(-1_000_000_000).max(1_000_000_000),
    reason: z.string().min(1).max(200),
  }),
  aggregateId: (data) => data.productId,
});
