import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../api/operator.ts';
import { PREVIEW_BYTES } from '../../api/schema/dead-letters.ts';
import { countingPool, startApiWith } from '../support/api.ts';
import { ApiProcess } from '../support/api-process.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';
import { subscribeOverSse } from '../support/sse.ts';

const MB = 1024 * 1024;
const TOKEN = 'bounded-answers-operator-token-01';
/** The stated bound: the API's peak resident memory while 10 clients ask for 100 letters of 1 MB. */
const RSS_BOUND_MB = 250;

type Letters = {
  projections: {
    name: string;
    deadLetters: { id: string; payload: string; payloadBytes: number; payloadTruncated: boolean }[];
  }[];
};
const LETTERS =
  '{ projections { name deadLetters(first: 100) { id payload payloadBytes payloadTruncated } } }';

/**
 * Issue 21.2: no anonymous query or subscription makes the API build an answer larger than a
 * bound. With 100 dead letters of 1 MB (anyone who can publish can put them there) one SSE
 * subscriber asking for their payloads crashed the API (RangeError: Invalid string length in
 * the SSE serializer) and one HTTP request took its RSS from 159 to 959 MB.
 */
describe('GraphQL API: bounded answers', () => {
  let env: TestEnvironment;
  let wholeId: string;

  beforeAll(async () => {
    env = await testEnvironment();
    const projections = runProjections(env);
    await waitForLiveViews(env, 8);
    await projections.stop();
    const { pool } = env.infrastructure;
    // 100 letters of 1 MB of control bytes: each byte is 6 in JSON (\u0001), 600 MB in all.
    await pool.query(
      `INSERT INTO vista_dead_letters (projection, generation, stream, sequence, subject, type, payload, error_code, error)
       SELECT 'orders', 1, 'ORDERS', n, 'orders.order_placed.o-' || n, NULL, decode(repeat('01', $1), 'hex'),
              'INVALID_JSON', 'not JSON'
         FROM generate_series(1, 100) AS n`,
      [MB],
    );
    // One letter of 1 MB of plain text, in another projection, for an operator to read whole.
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO vista_dead_letters (projection, generation, stream, sequence, subject, type, payload, error_code, error)
       VALUES ('customer_stats', 1, 'ORDERS', 1, 'orders.order_placed.o-1', NULL,
               convert_to('{"data":"' || repeat('é', $1) || 'x"}', 'UTF8'), 'INVALID_DATA', 'bad') RETURNING id`,
      [(MB - 12) / 2],
    );
    wholeId = String(rows[0]?.id);
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it(`serves 100 letters of 1 MB to 10 clients at once (5 HTTP, 5 SSE) as previews, its RSS under ${RSS_BOUND_MB} MB`, async () => {
    const api = await ApiProcess.start(env);
    try {
      const before = api.peakRssMb();
      const http = Array.from({ length: 5 }, async () => {
        const response = await fetch(`${api.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
          body: JSON.stringify({ query: LETTERS }),
        });
        return { status: response.status, body: (await response.json()) as { data?: Letters } };
      });
      const sse = Array.from({ length: 5 }, async () => {
        const subscription = await subscribeOverSse(
          api.url,
          `subscription ${LETTERS.replace('{ projections', '{ projectionStatus')}`,
        );
        try {
          return await subscription.next<{ projectionStatus: Letters['projections'] }>(60_000);
        } finally {
          subscription.close();
        }
      });
      for (const { status, body } of await Promise.all(http)) {
        expect(status).toBe(200);
        const letters = body.data?.projections.find((p) => p.name === 'orders')?.deadLetters ?? [];
        expect(letters).toHaveLength(100);
        for (const letter of letters) {
          expect(letter.payload).toBe('\u0001'.repeat(PREVIEW_BYTES));
          expect([letter.payloadBytes, letter.payloadTruncated]).toEqual([MB, true]);
        }
      }
      for (const event of await Promise.all(sse)) {
        const letters = event.data?.projectionStatus.find((p) => p.name === 'orders')?.deadLetters ?? [];
        expect(letters).toHaveLength(100);
      }
      expect(api.alive, api.output).toBe(true);
      const peak = api.peakRssMb();
      console.log(`API peak RSS: ${before.toFixed(0)} MB at start, ${peak.toFixed(0)} MB after 10 clients`);
      expect(peak).toBeLessThan(RSS_BOUND_MB);
    } finally {
      await api.stop();
    }
  });

  it('answers RESPONSE_TOO_LARGE over HTTP and SSE past MAX_RESPONSE_BYTES, and goes on serving', async () => {
    const api = await startApiWith(env, { limits: { maxResponseBytes: 256 * 1024 } });
    try {
      // 100 previews of 1 KB of control bytes are 600 KB of JSON.
      const { status, body } = await api.query(LETTERS);
      expect(status).toBe(200);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
      const subscription = await subscribeOverSse(
        api.url,
        `subscription ${LETTERS.replace('{ projections', '{ projectionStatus')}`,
      );
      try {
        const event = (await subscription.next(30_000)) as { errors?: { extensions?: { code?: string } }[] };
        expect(event.errors?.map((e) => e.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
      } finally {
        subscription.close();
      }
      const small = await api.query('{ projections { name deadLetterCount } }');
      expect(small.body.data?.projections).toContainEqual({ name: 'orders', deadLetterCount: 100 });
    } finally {
      await api.close();
    }
  });

  it('stops reading for a request past its read budget: 20 whole letters aliased by an operator', async () => {
    const counting = countingPool(env.infrastructure.pool);
    const api = await startApiWith(env, {
      pool: counting.pool,
      operator: createOperator(TOKEN, undefined),
      // A read budget of 1 MiB: four times the answer's bound.
      limits: { maxResponseBytes: 256 * 1024 },
    });
    try {
      const aliases = Array.from(
        { length: 20 },
        (_, i) => `a${i}: deadLetter(projection: "customer_stats", id: "${wholeId}") { payloadBytes }`,
      );
      const { body } = await api.query(`{ ${aliases.join(' ')} }`, {}, { authorization: `Bearer ${TOKEN}` });
      expect(new Set(body.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['RESPONSE_TOO_LARGE']));
      // The first letter (1 MB, and its other columns) passes the budget: no other is read.
      const reads = counting.statements.filter((s) => s.includes('FROM vista_dead_letters'));
      expect(reads).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it('serves an operator one dead letter whole; anyone else its preview', async () => {
    const api = await startApiWith(env, { operator: createOperator(TOKEN, undefined) });
    try {
      const query = `{ deadLetter(projection: "customer_stats", id: "${wholeId}") { payload payloadBytes payloadTruncated } }`;
      type One = { deadLetter: { payload: string; payloadBytes: number; payloadTruncated: boolean } };
      const whole = await api.query<One>(query, {}, { authorization: `Bearer ${TOKEN}` });
      expect(whole.body.errors).toBeUndefined();
      expect(whole.body.data?.deadLetter.payload).toBe(`{"data":"${'é'.repeat((MB - 12) / 2)}x"}`);
      expect(whole.body.data?.deadLetter).toMatchObject({ payloadBytes: MB, payloadTruncated: false });
      const anonymous = await api.query<One>(query);
      // 1,024 bytes: the opening 9, then 507 two-byte characters; the one cut in half is left out.
      expect(anonymous.body.data?.deadLetter).toEqual({
        payload: `{"data":"${'é'.repeat(507)}`,
        payloadBytes: MB,
        payloadTruncated: true,
      });
    } finally {
      await api.close();
    }
  });
});
