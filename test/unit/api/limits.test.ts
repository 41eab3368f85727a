import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { paginatedFields } from '../../../api/derive/views.ts';
import {
  costRules,
  FILTER_VALUE_COST,
  jsonProblem,
  MAX_FIELD_COMPARISONS,
  measureDocument,
  nestingDepth,
  READ_COST,
  variablesProblem,
} from '../../../api/limits.ts';
import { buildSchema } from '../../../api/schema/index.ts';
import shop from '../../../examples/shop/index.ts';
import { servedViews } from '../../../projectors/engine/internal.ts';

const paginated = paginatedFields(servedViews(shop.projections));
const measure = (query: string) => {
  const { depth, cost } = measureDocument(parse(query), paginated);
  return { depth, cost };
};

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

  it('measures a chain of fragments each spreading the next twice once per fragment', () => {
    const n = 40;
    const chain = Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const document = parse(`{ ...F0 } ${chain.join(' ')} fragment F${n} on Query { __typename }`);
    // 2^40 fields once expanded; measured in microseconds, not in days.
    expect(measureDocument(document, paginated).cost).toBe(2 ** n);
  });

  it('counts the comparisons validation makes between same-named fields', () => {
    const distinct = measureDocument(
      parse(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
      paginated,
    );
    expect(distinct.comparisons).toBe(100);
    const same = measureDocument(parse(`{${' __typename'.repeat(100)} }`), paginated);
    expect(same.comparisons).toBe(100 * 100);
    const twice = measureDocument(parse('{ ...F ...F } fragment F on Query { __typename }'), paginated);
    expect(twice.comparisons).toBe(2); // the spread once, and the fragment itself
    const far = measureDocument(parse(`{${' __typename'.repeat(1000)} }`), paginated);
    expect(far.comparisons).toBeGreaterThan(MAX_FIELD_COMPARISONS);
  });
});

describe('nesting of a document source', () => {
  it('counts brackets, skipping strings, block strings and comments', () => {
    expect(nestingDepth('{ a { b(x: [1, {y: 2}]) } }')).toBe(5);
    expect(nestingDepth('{ a(s: "{{{{\\"{{") # {{{{\n }')).toBe(2);
    expect(nestingDepth('{ a(s: """{{ \\""" {{""") }')).toBe(2);
  });

  it('stops counting past its limit', () => {
    expect(nestingDepth('{'.repeat(1_000_000), 200)).toBe(201);
  });
});

describe('filters and counts in the cost (issue 21.3)', () => {
  const rules = costRules(buildSchema(shop.projections));
  const cost = (query: string, variables?: Record<string, unknown>) =>
    measureDocument(parse(query), paginated, rules, MAX_FIELD_COMPARISONS, variables).cost;

  it('prices each value of a where, literal or from variables, empty objects included', () => {
    const bare = cost('{ orders(first: 0) { edges { cursor } } }');
    // {customerId: {eq: "c"}}: the where, its field's operators and the value.
    expect(cost('{ orders(first: 0, where: { customerId: { eq: "c" } }) { edges { cursor } } }')).toBe(
      bare + 3 * FILTER_VALUE_COST,
    );
    const query = 'query($w: OrderWhere) { orders(first: 0, where: $w) { edges { cursor } } }';
    expect(cost(query, { w: { customerId: { eq: 'c' } } })).toBe(bare + 3 * FILTER_VALUE_COST);
    // { and: [{} × 100] }: the where, the list and 100 empty objects.
    expect(cost(query, { w: { and: Array.from({ length: 100 }, () => ({})) } })).toBe(
      bare + 102 * FILTER_VALUE_COST,
    );
  });

  it('prices a totalCount as another read over the same filter', () => {
    const where = '{ customerId: { eq: "c" } }';
    const page = cost(`{ orders(first: 0, where: ${where}) { edges { cursor } } }`);
    const counted = cost(`{ orders(first: 0, where: ${where}) { edges { cursor } totalCount } }`);
    expect(counted - page).toBe(1 + READ_COST + 3 * FILTER_VALUE_COST);
  });

  it('takes a page size from the variables once they are known', () => {
    const query = 'query($n: Int) { orders(first: $n) { edges { cursor } } }';
    expect(cost(query)).toBe(READ_COST + 1 + 100 * 2);
    expect(cost(query, { n: 5 })).toBe(READ_COST + 1 + 5 * 2);
  });

  it('refuses variables of more than 10,000 values or 32 levels, counting empty objects', () => {
    expect(variablesProblem({ w: { and: Array.from({ length: 80_000 }, () => ({})) } })).toMatchObject({
      extensions: { code: 'QUERY_TOO_COSTLY' },
    });
    let deep: unknown = {};
    for (let i = 0; i < 5000; i++) deep = { and: [deep] };
    expect(variablesProblem({ w: deep })).toMatchObject({ extensions: { code: 'QUERY_TOO_DEEP' } });
    expect(variablesProblem({ w: { and: [{ customerId: { in: ['a', 'b'] } }] }, n: 5 })).toBeUndefined();
    expect(variablesProblem(undefined)).toBeUndefined();
  });
});

describe('jsonProblem: a request body scanned as text before it is parsed', () => {
  const body = (variables: string) =>
    `{"query":"query($w: OrderWhere) { orders(where: $w) { totalCount } }","variables":{"w":${variables}}}`;

  it('refuses more values than variables may hold, without parsing them', () => {
    const many = `{"and":[${Array.from({ length: 20_000 }, () => '{}').join(',')}]}`;
    expect((jsonProblem(body(many)) as { extensions?: { code?: string } }).extensions?.code).toBe(
      'QUERY_TOO_COSTLY',
    );
  });

  it('refuses nesting deeper than variables may, whatever the count', () => {
    const deep = `${'{"and":['.repeat(40)}{}${']}'.repeat(40)}`;
    expect((jsonProblem(body(deep)) as { extensions?: { code?: string } }).extensions?.code).toBe(
      'QUERY_TOO_DEEP',
    );
  });

  it('does not count what strings hold: a document full of braces and commas, quotes escaped', () => {
    const document = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: orders(first: 1) { totalCount }`).join(', ')} }`;
    const text = JSON.stringify({ query: document, variables: { s: 'a "quoted, {[ ]}" \\ text' } });
    expect(jsonProblem(text)).toBeUndefined();
  });

  it('lets a body at the bound through: 10,000 values', () => {
    const atBound = `{"or":[${Array.from({ length: 9_990 }, () => '1').join(',')}]}`;
    expect(jsonProblem(body(atBound))).toBeUndefined();
  });
});
