import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { orders } from '../../examples/shop/views/orders.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import type { GraphQLResponse } from '../support/graphql.ts';
import { runProjections, startApi } from '../support/running.ts';
import { type ExpectedOrder, expectedOrders } from '../support/shop/model.ts';

type OrdersPage = {
  orders: { edges: { node: ExpectedOrder }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
};

const ORDER_FIELDS = 'id customerId status totalCents lineCount paidCents placedAt shippedAt cancelledAt';

describe('orders end to end: NATS → projector → PostgreSQL → GraphQL over HTTP', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 3000, seed: 2024 })];

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams, pool } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    // Poison: not JSON, and a valid envelope whose data breaks the schema.
    await nats.js.publish(
      streams.subjectOf('orders.order_placed.v1', 'bad-1'),
      new TextEncoder().encode('{not json'),
    );
    await nats.js.publish(
      streams.subjectOf('orders.order_placed.v1', 'bad-2'),
      JSON.stringify({
        specversion: '1.0',
        id: 'poison-2',
        source: '/test',
        type: 'orders.order_placed.v1',
        subject: 'bad-2',
        time: '2026-01-01T00:00:00Z',
        datacontenttype: 'application/json',
        data: { orderId: 'bad-2', customerId: 'c', lines: 'not a list' },
      }),
    );
    projections = runProjections(env, [orders]);
    api = await startApi(env);
    const heads = await streamHeads(nats.jsm, streams);
    await eventually(
      async () => {
        const { rows } = await pool.query<{ stream: string; position: number }>(
          `SELECT stream, position FROM vista_checkpoints WHERE projection = 'orders'`,
        );
        const positions = Object.fromEntries(rows.map((r) => [r.stream, r.position]));
        return positions.ORDERS === heads.ORDERS && positions.PAYMENTS === heads.PAYMENTS ? true : undefined;
      },
      60_000,
      'orders to catch up',
    );
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('serves every order exactly as the independent model computes it', async () => {
    const seen = new Map<string, ExpectedOrder>();
    let after: string | null = null;
    for (;;) {
      const { body }: { body: GraphQLResponse<OrdersPage> } = await api.query<OrdersPage>(
        `query($after: String) { orders(first: 100, after: $after) { edges { node { ${ORDER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        {
          after,
        },
      );
      expect(body.errors).toBeUndefined();
      for (const { node } of body.data?.orders.edges ?? []) seen.set(node.id, node);
      if (!body.data?.orders.pageInfo.hasNextPage) break;
      after = body.data.orders.pageInfo.endCursor;
    }
    const expected = expectedOrders(history);
    expect(expected.size).toBeGreaterThan(500);
    expect(seen.size).toBe(expected.size);
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(expected));
  });

  it('filters by customer and status, newest first', async () => {
    const expected = [...expectedOrders(history).values()];
    const customerId = (expected[0] as ExpectedOrder).customerId;
    const { body } = await api.query<{ orders: { edges: { node: ExpectedOrder }[] } }>(
      `{ orders(customerId: "${customerId}", first: 100) { edges { node { ${ORDER_FIELDS} } } } }`,
    );
    const mine = expected
      .filter((o) => o.customerId === customerId)
      .sort((a, b) => b.placedAt.localeCompare(a.placedAt));
    expect(body.data?.orders.edges.map((e) => e.node)).toEqual(mine);

    const shipped = await api.query<{ orders: { edges: { node: ExpectedOrder }[] } }>(
      '{ orders(status: SHIPPED, first: 5) { edges { node { status } } } }',
    );
    expect(shipped.body.data?.orders.edges).toHaveLength(5);
    expect(shipped.body.data?.orders.edges.every((e) => e.node.status === 'SHIPPED')).toBe(true);
  });

  it('answers order(id) and says how fresh the answer is in extensions.positions', async () => {
    const [id, expected] = [...expectedOrders(history)][0] as [string, ExpectedOrder];
    const { body } = await api.query(`{ order(id: "${id}") { ${ORDER_FIELDS} } }`);
    expect(body.data).toEqual({ order: expected });
    const heads = await streamHeads(env.infrastructure.nats.jsm, env.infrastructure.streams);
    expect(body.extensions?.positions).toEqual({
      orders: { ORDERS: heads.ORDERS, PAYMENTS: heads.PAYMENTS },
    });
  });

  it('keeps poison events out of the view and records them with stream and sequence', async () => {
    const { rows } = await env.infrastructure.pool.query<{
      stream: string;
      sequence: number;
      error_code: string;
    }>(
      'SELECT stream, sequence, error_code FROM vista_dead_letters WHERE projection = $1 ORDER BY sequence',
      ['orders'],
    );
    const heads = await streamHeads(env.infrastructure.nats.jsm, env.infrastructure.streams);
    expect(rows).toEqual([
      { stream: 'ORDERS', sequence: (heads.ORDERS ?? 0) - 1, error_code: 'INVALID_JSON' },
      { stream: 'ORDERS', sequence: heads.ORDERS, error_code: 'INVALID_DATA' },
    ]);
    const { body } = await api.query('{ order(id: "bad-2") { id } }');
    expect(body.data).toEqual({ order: null });
  });

  it('rejects bad GraphQL input with a GraphQL error, not a crash', async () => {
    const tooMany = await api.query('{ orders(first: 1000) { edges { cursor } } }');
    expect(tooMany.body.errors?.[0]?.message).toMatch(/first must be between 0 and 100/);
    const badCursor = await api.query('{ orders(after: "garbage") { edges { cursor } } }');
    expect(badCursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknownField = await api.query('{ nope }');
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
  });
});
