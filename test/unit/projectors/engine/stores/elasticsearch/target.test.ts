import { describe, expect, it } from 'vitest';
import type { PublicShape } from '../../../../../../projectors/engine/definition/public-shape.ts';
import { deriveView } from '../../../../../../projectors/engine/definition/public-view.ts';
import {
  elasticsearchIndex,
  indexProperties,
} from '../../../../../../projectors/engine/stores/elasticsearch/target.ts';

const products: PublicShape = {
  description: 'Products.',
  noun: { one: 'product', many: 'products' },
  key: ['id'],
  tieBreaker: 'sku',
  fields: {
    id: { kind: 'id', description: 'Id.' },
    sku: { kind: 'string', description: 's', sortable: true },
    name: { kind: 'string', description: 'n', filterable: true },
    body: { kind: 'string', description: 'b' },
    priceCents: { kind: 'long', description: 'p', sortable: true },
    on: { kind: 'date', description: 'd', sortable: true },
  },
  search: { fields: { name: 2, body: 1 } },
};

describe('an Elasticsearch index', () => {
  it('maps each public field from its kind, full text as text (with a keyword when exact), the target’s own winning', () => {
    expect(
      indexProperties({ properties: { added: { type: 'boolean' }, body: { type: 'keyword' } } }, products),
    ).toEqual({
      sku: { type: 'keyword' },
      name: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      body: { type: 'keyword' },
      priceCents: { type: 'long' },
      on: { type: 'date' },
      added: { type: 'boolean' },
    });
  });

  it('filters and sorts on the exact field, and keeps integer cursors for what it sorts as numbers', () => {
    const view = deriveView('products', products, elasticsearchIndex({}).layout(products));
    expect(view.fields.map((f) => [f.name, f.stored, f.exact, f.cursor])).toEqual([
      ['id', '_id', '_id', 'string'],
      ['sku', 'sku', 'sku', 'string'],
      ['name', 'name', 'name.keyword', 'string'],
      ['body', 'body', 'body', 'string'],
      ['priceCents', 'priceCents', 'priceCents', 'integer'],
      ['on', 'on', 'on', 'integer'],
    ]);
  });
});
