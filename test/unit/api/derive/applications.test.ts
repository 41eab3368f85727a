import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../../../api/schema/index.ts';
import ledger from '../../../../examples/ledger/index.ts';
import { shop } from '../../../../examples/shop/contract.ts';
import shopApp from '../../../../examples/shop/index.ts';
import {
  defineDocumentProjection,
  type Projection,
  type PublicShape,
  postgresTable,
} from '../../../../projectors/engine/index.ts';
import { servedViews } from '../../../../projectors/engine/internal.ts';

const rootFields = (projections: readonly Projection[]) =>
  Object.keys(buildSchema(projections).getQueryType()?.getFields() ?? {});

/** A view that declares no public shape. */
const stock = defineDocumentProjection(shop, {
  name: 'stock_levels',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.stock_adjusted.v1'],
  key: (e) => e.data.productId,
  evolve: (doc: { stock: number; reason: string; notes: unknown } | null, e) => ({
    stock: (doc?.stock ?? 0) + e.data.delta,
    reason: e.data.reason,
    notes: null,
  }),
  target: postgresTable<{ stock: number; reason: string; notes: unknown }>({
    columns: { stock: 'bigint', reason: 'text', notes: 'jsonb' },
    indexes: [['stock']],
  }),
});

describe('the schema of an application', () => {
  it('serves each application its own views, with no API code for either', () => {
    expect(rootFields(shopApp.projections)).toEqual(
      expect.arrayContaining([
        'orders',
        'order',
        'customerStats',
        'customer',
        'products',
        'product',
        'dailySales',
      ]),
    );
    const ledgerFields = rootFields(ledger.projections);
    expect(ledgerFields).toEqual(
      expect.arrayContaining(['accountBalances', 'accountBalance', 'holders', 'holder']),
    );
    expect(ledgerFields).not.toContain('orders');
  });

  it('gives a PostgreSQL document view without a shape one from its columns: indexed ones filterable', () => {
    const [view] = servedViews([stock]);
    expect(view?.fields.map((f) => [f.name, f.kind, f.filterable, f.sortable])).toEqual([
      ['id', 'id', false, false],
      ['stock', 'long', true, false],
      ['reason', 'string', false, false],
    ]);
    expect(rootFields([stock])).toEqual(expect.arrayContaining(['stockLevels', 'stockLevelsByKey']));
  });

  it('refuses two views that would claim the same GraphQL field, naming both', () => {
    const twin = {
      ...stock,
      name: 'stock_levels_2',
      api: {
        ...(servedViews([stock])[0]?.shape as PublicShape),
        type: 'StockLevels',
        lookup: { name: 'stockLevelsByKey' },
      },
    };
    expect(() => servedViews([stock, twin as Projection])).toThrow(
      /stockLevelsByKey of view stock_levels_2 is also view stock_levels's/,
    );
  });
});
