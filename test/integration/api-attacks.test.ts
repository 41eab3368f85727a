import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { countingPool, startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';
import { subscribeOverSse } from '../support/sse.ts';

type TestApi = Awaited<ReturnType<typeof startApiWith>>;

/**
 * The attacks of issue 15 (4 and 5), each in its exact shape, against a real API over real
 * stores: each is refused or answered cheaply, as a client error, and another client's request
 * is answered meanwhile.
 */
describe('GraphQL API: one client never stalls or breaks the others', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let statements: string[];
  let projections: ReturnType<typeof runProjections> | undefined;

  const place = (orderId: string, quantity: number, unitPriceCents: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: `attack-${orderId}`,
      time: new Date().toISOString(),
      source: '/test',
      data: { orderId, customerId: 'c-1', lines: [{ productId: 'p-1', quantity, unitPriceCents }] },
    });

  beforeAll(async () => {
    env = await testEnvironment();
    projections = runProjections(env);
    await place('o-small', 1, 250);
    // Within the contract (1,000,000 × 100,000,000.00), its total of 10^16 cents is beyond 2^53.
    await place('o-huge', 1_000_000, 10_000_000_000);
    const counting = countingPool(env.infrastructure.pool);
    statements = counting.statements;
    api = await startApiWith(env, { pool: counting.pool });
    // Every projection started and caught up (a host stopped in the middle of its start-up may not return).
    await waitForLiveViews(env, 8);
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('serves a list holding a value beyond 2^53 with a field error on that row only (15.3)', async () => {
    const { status, body } = await api.query<{
      orders: { edges: { node: { id: string; totalCents: number } | null; cursor: string }[] };
    }>('{ orders(first: 3) { edges { cursor node { id totalCents } } } }');
    expect(status).toBe(200);
    const edges = body.data?.orders.edges ?? [];
    expect(edges).toHaveLength(2);
    const nodes = edges.map((e) => e.node);
    expect(nodes).toContainEqual({ id: 'o-small', totalCents: 250 });
    expect(nodes).toContain(null);
    const row = nodes.indexOf(null);
    expect(body.errors).toEqual([
      expect.objectContaining({
        path: ['orders', 'edges', row, 'node', 'totalCents'],
        extensions: { code: 'VALUE_OUT_OF_RANGE' },
      }),
    ]);
    // Its cursor still pages past it.
    expect(typeof edges[row]?.cursor).toBe('string');
  });

  it('answers a NUL in any argument, literal or variable, with BAD_USER_INPUT (15.5)', async () => {
    const literal = await api.query('{ order(id: "a\\u0000b") { id } }');
    expect(literal.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const variable = await api.query('query($c: ID) { orders(customerId: $c) { edges { cursor } } }', {
      c: 'c\u0000',
    });
    expect(variable.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const search = await api.query('query($q: String) { searchProducts(query: $q) { edges { cursor } } }', {
      q: 'kettle\u0000',
    });
    expect(search.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers a forged cursor holding 1e300 with BAD_USER_INPUT (15.5)', async () => {
    const forged = (kind: string) => Buffer.from(`["${kind}",1e300,"x"]`).toString('base64url');
    const orders = await api.query(`{ orders(after: "${forged('orders')}") { edges { cursor } } }`);
    expect(orders.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const products = await api.query(
      `{ searchProducts(after: "${forged('products')}") { edges { cursor } } }`,
    );
    expect(products.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a query of 3,000 nested fields with QUERY_TOO_DEEP, not a 500 (15.4)', async () => {
    const { status, body } = await api.query(`{${'projections {'.repeat(3000)} name ${'}'.repeat(3000)}}`);
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
  });

  it('reads aliased projections once per request (15.4)', async () => {
    const aliased = `{ ${Array.from({ length: 1600 }, (_, i) => `p${i}: projections { name }`).join(' ')} }`;
    const before = statements.length;
    const { body } = await api.query<Record<string, { name: string }[]>>(aliased);
    expect(body.errors).toBeUndefined();
    expect(body.data?.p1599?.map((p) => p.name)).toContain('orders');
    const reads = statements.slice(before).filter((s) => s.includes('FROM vista_generations g'));
    expect(reads).toHaveLength(1);
  });

  it('costs 900 aliased searchProducts(first: 0) as 900 searches, and refuses them (15.5)', async () => {
    const aliased = `{ ${Array.from({ length: 900 }, (_, i) => `s${i}: searchProducts(first: 0) { __typename }`).join(' ')} }`;
    const { body } = await api.query(aliased);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('answers another client at once while attacks run (15.4)', async () => {
    const chain = Array.from(
      { length: 22 },
      (_, i) => `fragment F${i} on Projection { ...F${i + 1} ...F${i + 1} }`,
    );
    const fragments = `{ projections { ...F0 } } ${chain.join(' ')} fragment F22 on Projection { name }`;
    const deep = `{${'projections {'.repeat(3000)} name ${'}'.repeat(3000)}}`;
    const nested = `{ orders(first: 1) { edges {${' node { id }'.repeat(2000)} } } }`;
    let attacking = true;
    const attacks = Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        // A trailing comment makes each a new document: yoga's document cache does not help.
        api.query(`${[fragments, deep, nested][i % 3]}\n# ${i}`),
      ),
    ).finally(() => {
      attacking = false;
    });
    const latencies: number[] = [];
    do {
      const started = performance.now();
      const { body } = await api.query('{ order(id: "o-small") { id totalCents } }');
      latencies.push(performance.now() - started);
      expect(body.data).toEqual({ order: { id: 'o-small', totalCents: 250 } });
    } while (attacking);
    for (const { body } of await attacks) expect(body.errors?.[0]?.extensions?.code).toMatch(/^QUERY_TOO_/);
    // Before the fix the fragments alone held the event loop for 10 s per request.
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });

  it('keeps one subscriber with a NUL argument from silencing the others (15.5)', async () => {
    const good = await subscribeOverSse(
      api.url,
      'subscription { orderUpdated(id: "o-small") { id totalCents } }',
    );
    const bad = await subscribeOverSse(api.url, 'subscription { orderUpdated(id: "a\\u0000b") { id } }');
    try {
      const refused = (await bad.next()) as { errors?: { extensions?: { code?: string } }[] };
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      const first = await good.next<{ orderUpdated: { id: string } | null }>();
      expect(first.data?.orderUpdated).toEqual({ id: 'o-small', totalCents: 250 });
    } finally {
      good.close();
      bad.close();
    }
  });

  it('shows anonymous clients a code and place of a halt, never the store error, and /readyz names halted projections (15.5)', async () => {
    await projections?.stop();
    projections = undefined;
    await env.infrastructure.pool.query(
      `UPDATE vista_generations SET status = 'halted',
              detail = 'INVALID_DATA at ORDERS #2: invalid byte sequence for encoding "UTF8": 0x00 in INSERT INTO orders__g1'
        WHERE projection = 'orders' AND role = 'live'`,
    );
    const { body } = await api.query<{
      projections: { name: string; live: { status: string; detail: string } }[];
    }>('{ projections { name live { status detail } } }');
    const orders = body.data?.projections.find((p) => p.name === 'orders');
    expect(orders?.live).toEqual({
      status: 'HALTED',
      detail: 'INVALID_DATA at ORDERS #2; `vista dead-letters` shows the error',
    });
    expect(JSON.stringify(body)).not.toMatch(/UTF8|INSERT/);
    const ready = await fetch(`${api.url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([503, 'halted: orders']);
  });
});
