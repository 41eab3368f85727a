import { type DocumentNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readsOf } from '../../../api/derive/views.ts';
import { ReadsIndex } from '../../../api/reads-index.ts';
import shop from '../../../examples/shop/index.ts';
import { servedViews } from '../../../projectors/engine/internal.ts';

const index = new ReadsIndex(readsOf(servedViews(shop.projections)));
const projectionsRead = (document: DocumentNode, operationName?: string) =>
  index.projectionsRead(document, operationName);

describe('the projections a query reads', () => {
  it('names the view behind each field, at any depth', () => {
    expect(projectionsRead(parse('{ orders { edges { node { customer { orderCount } } } } }'))).toEqual([
      'customer_stats',
      'orders',
    ]);
    expect(
      projectionsRead(parse('{ a: product(id: "p") { id } b: searchProducts { edges { cursor } } }')),
    ).toEqual(['products']);
  });

  it('follows fragments and inline fragments', () => {
    const document = parse(`
      query { order(id: "o") { ...WithCustomer } }
      fragment WithCustomer on Order { ... on Order { customer { customerId } } }`);
    expect(projectionsRead(document)).toEqual(['customer_stats', 'orders']);
  });

  it('reads only the operation that runs', () => {
    const document = parse('query A { order(id: "o") { id } } query B { product(id: "p") { id } }');
    expect(projectionsRead(document, 'B')).toEqual(['products']);
  });

  it('derives the reads of every served view, dailySales included', () => {
    expect(projectionsRead(parse('{ dailySales { totalCount } }'))).toEqual(['daily_sales']);
    expect(projectionsRead(parse('{ customerStats { edges { node { orders { totalCount } } } } }'))).toEqual([
      'customer_stats',
      'orders',
    ]);
  });

  it('reads no view for the projections list or introspection', () => {
    expect(projectionsRead(parse('{ projections { name } __typename }'))).toEqual([]);
  });
});
