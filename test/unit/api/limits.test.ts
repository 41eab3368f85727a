import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { paginatedFields, servedViews } from '../../../api/derive/views.ts';
import { measureDocument } from '../../../api/limits.ts';
import shop from '../../../examples/shop/index.ts';

const paginated = paginatedFields(servedViews(shop.projections));
const measure = (query: string) => measureDocument(parse(query), paginated);

describe('query depth and cost', () => {
  it('a flat query costs one per field', () => {
    expect(measure('{ order(id: "o1") { id status } }')).toEqual({ depth: 2, cost: 3 });
  });

  it('a page multiplies what it selects by first', () => {
    // orders (1) + 10 × (edges 1 + node 1 + id 1 + customer (1 + orderCount 1))
    expect(measure('{ orders(first: 10) { edges { node { id customer { orderCount } } } } }')).toEqual({
      depth: 5,
      cost: 51,
    });
  });

  it('a page without first counts the default page, one with a variable the largest', () => {
    expect(measure('{ orders { edges { cursor } } }').cost).toBe(1 + 20 * 2);
    expect(measure('query($n: Int) { orders(first: $n) { edges { cursor } } }').cost).toBe(1 + 100 * 2);
  });

  it('counts fragments where they are spread, and survives a fragment cycle', () => {
    const withFragment = measure(`
      { orders(first: 2) { edges { node { ...O } } } }
      fragment O on Order { id customer { customerId } }`);
    expect(withFragment).toEqual({ depth: 5, cost: 1 + 2 * (1 + 1 + 1 + 2) });
    const cyclic = measure(`
      { order(id: "x") { ...A } }
      fragment A on Order { customer { ...B } }
      fragment B on CustomerStats { orders { edges { node { ...A } } } }`);
    expect(cyclic.depth).toBeGreaterThan(0);
  });

  it('takes the worst operation of a document', () => {
    expect(
      measure('query A { order(id: "x") { id } } query B { orders(first: 5) { edges { cursor } } }'),
    ).toEqual({ depth: 3, cost: 11 });
  });
});
