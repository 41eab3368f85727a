import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, natsCommandSender } from '../../api/operator.ts';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

const TOKEN = 'clear-answers-operator-token-0123';
const AS_OPERATOR = { authorization: `Bearer ${TOKEN}` };
const codes = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  body.errors?.map((e) => e.extensions?.code);

/** A cursor the API handed out, with its sort values replaced: what a forger would send. */
function forge(cursor: string, replace: (values: unknown[]) => unknown[]): string {
  const [signature, ...values] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
  return Buffer.from(
    JSON.stringify([signature, ...replace(values)]).replace('"__1e-300__"', '1e-300'),
  ).toString('base64url');
}

/**
 * Issue 21 (5, 6): anonymous clients read codes and places, never a store's error text, an
 * address or a user agent, while operators read the detail; forged cursors, a mutation no
 * projector answers and a malformed projection name each get their own code, never
 * "Unexpected error.".
 */
describe('GraphQL API: clear answers, nothing leaked', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApiWith>>;
  let projections: ReturnType<typeof runProjections>;
  let letterId: string;

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(
      env.infrastructure.nats.js,
      env.infrastructure.streams,
      demoHistory({ events: 300, seed: 21 }),
    );
    projections = runProjections(env);
    await waitForLiveViews(env, 8);
    await projections.stop();
    const { pool } = env.infrastructure;
    // What the issue saw leak: a store's error text in a dead letter and in a state change, the
    // operator's address, forwarded-for claim and user agent in an action.
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO vista_dead_letters (projection, generation, stream, sequence, subject, type, payload, error_code, error)
       VALUES ('orders', 1, 'ORDERS', 7, 'orders.order_placed.o-7', 'orders.order_placed.v1', 'x', 'SQLSTATE_22003',
               'value "10000000000000000000" is out of range for type bigint') RETURNING id`,
    );
    letterId = String(rows[0]?.id);
    await pool.query(
      `INSERT INTO vista_status_changes (projection, generation, status, detail)
       VALUES ('orders', 1, 'retrying', 'connect ECONNREFUSED 127.0.0.1:4434')`,
    );
    await pool.query(
      `INSERT INTO vista_operator_actions (projection, action, origin, outcome, detail)
       VALUES ('orders', 'start_rebuild', $1, 'accepted', 'rebuild requested')`,
      [
        JSON.stringify({
          via: 'graphql',
          address: '10.1.2.3 (forwarded for 192.0.2.7)',
          userAgent: 'curl/8.5.0',
        }),
      ],
    );
    // Operator actions go out over NATS, where no projector process listens in this test.
    api = await startApiWith(env, {
      operator: createOperator(
        TOKEN,
        natsCommandSender(() => env.infrastructure.nats.connection, env.config.VISTA_NAMESPACE),
      ),
    });
  });

  afterAll(async () => {
    await api?.close();
    await projections?.stop();
    await env?.cleanup();
  });

  const HISTORY = `{ projections { name
    deadLetters { errorCode error }
    stateChanges { status detail }
    actions { via address userAgent detail } } }`;
  type History = {
    projections: {
      name: string;
      deadLetters: { errorCode: string; error: string }[];
      stateChanges: { status: string; detail: string | null }[];
      actions: { via: string; address: string | null; userAgent: string | null; detail: string }[];
    }[];
  };

  it('shows anonymous clients codes and places, never store errors, addresses or user agents', async () => {
    const { body } = await api.query<History>(HISTORY);
    expect(body.errors).toBeUndefined();
    const orders = body.data?.projections.find((p) => p.name === 'orders');
    expect(orders?.deadLetters).toEqual([
      { errorCode: 'SQLSTATE_22003', error: 'SQLSTATE_22003 at ORDERS #7' },
    ]);
    expect(orders?.stateChanges.filter((c) => c.status === 'RETRYING')).toEqual([
      { status: 'RETRYING', detail: 'a batch failed; `vista status` and the projector log show the error' },
    ]);
    expect(orders?.actions).toEqual([
      { via: 'graphql', address: null, userAgent: null, detail: 'rebuild requested' },
    ]);
    expect(JSON.stringify(body)).not.toMatch(/out of range|ECONNREFUSED|4434|10\.1\.2\.3|192\.0\.2\.7|curl/);
    // The single letter too.
    const one = await api.query<{ deadLetter: { error: string } }>(
      `{ deadLetter(projection: "orders", id: "${letterId}") { error } }`,
    );
    expect(one.body.data?.deadLetter).toEqual({ error: 'SQLSTATE_22003 at ORDERS #7' });
  });

  it('shows operators the detail', async () => {
    const { body } = await api.query<History>(HISTORY, {}, AS_OPERATOR);
    const orders = body.data?.projections.find((p) => p.name === 'orders');
    expect(orders?.deadLetters[0]?.error).toBe(
      'value "10000000000000000000" is out of range for type bigint',
    );
    expect(orders?.stateChanges.find((c) => c.status === 'RETRYING')?.detail).toBe(
      'connect ECONNREFUSED 127.0.0.1:4434',
    );
    expect(orders?.actions[0]).toMatchObject({
      address: '10.1.2.3 (forwarded for 192.0.2.7)',
      userAgent: 'curl/8.5.0',
    });
  });

  it('answers cursors forged with 1.5 or 1e-300 for a time or bigint key with BAD_USER_INPUT', async () => {
    const cases: [string, string][] = [
      // placedAt (a time, as microseconds) then id
      ['orders', '{ orders(first: 1) { edges { cursor } } }'],
      // lifetimeSpendCents (a bigint) then customerId
      [
        'customerStats',
        '{ customerStats(first: 1, orderBy: [{ lifetimeSpendCents: DESC }]) { edges { cursor } } }',
      ],
      // priceCents (a long in Elasticsearch) then id
      ['products', '{ products(first: 1, orderBy: [{ priceCents: ASC }]) { edges { cursor } } }'],
    ];
    for (const [field, query] of cases) {
      const { body } = await api.query<Record<string, { edges: { cursor: string }[] }>>(query);
      const cursor = body.data?.[field]?.edges[0]?.cursor as string;
      expect(cursor, field).toBeTypeOf('string');
      for (const forged of [
        forge(cursor, ([, ...rest]) => [1.5, ...rest]),
        forge(cursor, ([, ...rest]) => ['__1e-300__', ...rest]),
      ]) {
        const after = query.replace('first: 1', `first: 1, after: "${forged}"`);
        const answer = await api.query(after);
        expect([field, codes(answer.body)]).toEqual([field, ['BAD_USER_INPUT']]);
      }
    }
  });

  it('answers an operator mutation no projector process answers with SERVICE_UNAVAILABLE', async () => {
    const { body } = await api.query(
      'mutation { startRebuild(projection: "orders") { outcome } }',
      {},
      AS_OPERATOR,
    );
    expect(codes(body)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(body.errors?.[0]?.message).toMatch(/^the command was not executed: no projector process answered/);
  });

  it('answers a 64-character projection name with BAD_USER_INPUT, before anything is sent', async () => {
    const { body } = await api.query(
      `mutation { retryDeadLetters(projection: "${'p'.repeat(64)}") { outcome } }`,
      {},
      AS_OPERATOR,
    );
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(body.errors?.[0]?.message).toMatch(/^projection: /);
  });
});
