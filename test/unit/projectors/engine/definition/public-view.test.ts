import { describe, expect, it } from 'vitest';
import {
  camelCase,
  type PublicShape,
  pascalCase,
} from '../../../../../projectors/engine/definition/public-shape.ts';
import {
  deriveView,
  sqlViewLayout,
  tieBreakers,
} from '../../../../../projectors/engine/definition/public-view.ts';
import { elasticsearchLayout } from '../../../../../projectors/engine/stores/elasticsearch/target.ts';
import { postgresLayout } from '../../../../../projectors/engine/stores/postgres/target.ts';

const shape = (overrides: Partial<PublicShape> = {}): PublicShape => ({
  description: 'Sales.',
  noun: { one: 'sale', many: 'sales' },
  key: ['day', 'category'],
  fields: {
    day: { kind: 'date', description: 'Day.', filterable: true, sortable: true },
    category: { kind: 'string', description: 'Category.', filterable: true },
    revenueCents: { kind: 'long', description: 'Revenue.', sortable: true },
    note: { kind: 'string', description: 'Note.', nullable: true },
  },
  ...overrides,
});
const sql = sqlViewLayout;

describe('public shapes', () => {
  it('names a view the way GraphQL clients expect', () => {
    expect(pascalCase('daily_sales')).toBe('DailySales');
    expect(camelCase('daily_sales')).toBe('dailySales');
    expect(camelCase('Order')).toBe('order');
    const view = deriveView('daily_sales', shape(), sql);
    expect(view).toMatchObject({
      type: 'DailySales',
      listField: 'dailySales',
      // The singular of DailySales is the list's name: the lookup says it is by key.
      lookupField: 'dailySalesByKey',
      updatedField: 'dailySalesUpdated',
      searchField: undefined,
    });
    expect(view.fields.find((f) => f.name === 'revenueCents')?.stored).toBe('revenue_cents');
    expect(deriveView('orders', shape({ type: 'Order' }), sql).lookupField).toBe('order');
  });

  it('orders by the declared default, or by key, the key breaking ties', () => {
    const byKey = deriveView('daily_sales', shape(), sql);
    expect(byKey.defaultOrder.map((t) => [t.field.name, t.direction])).toEqual([
      ['day', 'ASC'],
      ['category', 'ASC'],
    ]);
    expect(tieBreakers(byKey).map((f) => f.name)).toEqual(['day', 'category']);
    const latest = deriveView(
      'daily_sales',
      shape({ order: { by: [{ day: 'DESC' }], says: 'latest first' } }),
      sql,
    );
    expect(latest.defaultOrder.map((t) => [t.field.name, t.direction])).toEqual([['day', 'DESC']]);
  });

  it.each([
    ['a key that is not a field', shape({ key: ['nope'] }), /key names nope/],
    [
      'a sortable nullable field',
      shape({
        fields: {
          ...shape().fields,
          note: { kind: 'string', description: 'n', nullable: true, sortable: true },
        },
      }),
      /nullable field note cannot be sortable/,
    ],
    [
      'a filtered list',
      shape({
        fields: {
          ...shape().fields,
          tags: { kind: 'string', description: 't', list: true, filterable: true },
        },
      }),
      /list field tags/,
    ],
    ['an unsortable default order', shape({ order: { by: [{ note: 'ASC' }], says: '' } }), /not sortable/],
    [
      'a shortcut to no field',
      shape({ list: { shortcuts: { x: { field: 'nope', description: 'x' } } } }),
      /shortcut x/,
    ],
    ['search on PostgreSQL', shape({ search: { fields: { category: 1 } } }), /Elasticsearch/],
    [
      'a relation named as a field',
      shape({ relations: { day: { view: 'x', kind: 'one', on: { day: 'day' }, description: 'd' } } }),
      /relation day/,
    ],
  ])('refuses %s, naming the view', (_, declared, message) => {
    expect(() => deriveView('daily_sales', declared, sql)).toThrow(message);
    expect(() => deriveView('daily_sales', declared, sql)).toThrow(/view daily_sales/);
  });

  it('checks fields against a document table and an Elasticsearch mapping', () => {
    const doc = postgresLayout(new Set(['customer_id']));
    const orders = shape({
      key: ['id'],
      fields: {
        id: { kind: 'id', description: 'Id.' },
        customerId: { kind: 'id', description: 'Customer.', filterable: true },
      },
    });
    expect(deriveView('orders', orders, doc).key[0]?.stored).toBe('id');
    expect(() =>
      deriveView(
        'orders',
        { ...orders, fields: { ...orders.fields, total: { kind: 'long', description: 't' } } },
        doc,
      ),
    ).toThrow(/no column total/);
    const es = elasticsearchLayout({
      name: { type: 'text', fields: { keyword: { type: 'keyword' } } },
      body: { type: 'text' },
    });
    const products = shape({
      key: ['id'],
      tieBreaker: 'name',
      fields: {
        id: { kind: 'id', description: 'Id.' },
        name: { kind: 'string', description: 'Name.', sortable: true },
        body: { kind: 'string', description: 'Body.' },
      },
    });
    const view = deriveView('products', products, es);
    expect(view.fields.map((f) => [f.name, f.stored, f.exact])).toEqual([
      ['id', '_id', '_id'],
      ['name', 'name', 'name.keyword'],
      ['body', 'body', 'body'],
    ]);
    expect(() =>
      deriveView(
        'products',
        {
          ...products,
          fields: { ...products.fields, body: { kind: 'string', description: 'b', filterable: true } },
        },
        es,
      ),
    ).toThrow(/no keyword mapping/);
    expect(() => deriveView('products', { ...products, tieBreaker: undefined }, es)).toThrow(/tieBreaker/);
  });
});
