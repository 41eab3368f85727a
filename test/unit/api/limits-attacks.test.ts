import { createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it, vi } from 'vitest';
import { paginatedFields } from '../../../api/derive/views.ts';
import { storableInputPlugin } from '../../../api/input-values.ts';
import { costRules, limitsPlugin, READ_COST } from '../../../api/limits.ts';
import { buildSchema } from '../../../api/schema/index.ts';
import { MAX_BODY_BYTES } from '../../../api/server.ts';
import shop from '../../../examples/shop/index.ts';
import { servedViews } from '../../../projectors/engine/internal.ts';

// Measured in the mode the API runs graphql-js in (api/production-mode.ts), set before graphql
// loads: vitest's NODE_ENV=test would add graphql's development checks to every document.
vi.hoisted(() => {
  process.env.NODE_ENV = 'production';
});

/**
 * The work the API does on a document before executing it, measured in CPU time: parse,
 * limits and validation through yoga with the API's own plugins, stopped before execution
 * (which needs the stores and is bounded by the cost the limits allow).
 */
const stopBeforeExecution: Plugin = {
  onExecute({ setResultAndStopExecution }) {
    setResultAndStopExecution({ data: { accepted: true } });
  },
};
const schema = buildSchema(shop.projections);
const yoga = createYoga({
  schema,
  logging: false,
  maskedErrors: false,
  plugins: [
    limitsPlugin(10, 20_000, paginatedFields(servedViews(shop.projections))),
    storableInputPlugin(),
    stopBeforeExecution,
  ],
});

interface Answer {
  status: number;
  /** The document's CPU time before execution, counted in ordinary requests' (see `send`). */
  ordinaries: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * A page of a list view, as a frontend asks for it: the unit the bounds below are counted in.
 * Any document under 256 KB costs the API at most as much as this many such pages (0.3–0.5 ms of
 * CPU each on a quiet two-core machine, so about 50–75 ms). A walk that is not linear in the
 * document would cost thousands.
 */
const ORDINARY = `query Page($after: String) {
  orders(first: 20, after: $after) {
    edges { cursor node { id status placedAt lineCount paidCents customer { customerId } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const MOST_ORDINARIES = 150;
const ORDINARIES_PER_RUN = 20;

let runs = 0;

async function post(query: string, variables: Record<string, unknown>) {
  const body = JSON.stringify({ query: `${query}\n# run ${++runs}`, variables });
  expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
  const response = await yoga.fetch('http://api/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Sends a document fifteen times, each run followed by twenty ordinary requests, and gives its
 * CPU time as a count of ordinary requests. CPU time is no constant of the machine: a core shared
 * with a sibling hyperthread or a busy neighbour makes every instruction dearer (the same
 * document took 11 ms alone and 57 ms in a CI run), so the bounds compare the document with work
 * measured beside it, in the same conditions. The least of the runs on each side: a garbage
 * collection or a first compilation only ever adds to a run. Each run is a distinct document (a
 * trailing comment), so yoga's document cache never answers for it.
 */
async function send(query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const documentMs: number[] = [];
  const ordinaryMs: number[] = [];
  let answer: Omit<Answer, 'ordinaries'> | undefined;
  for (let i = 0; i < 15; i++) {
    documentMs.push(
      await cpuMs(async () => {
        answer = await post(query, variables);
      }),
    );
    ordinaryMs.push(
      await cpuMs(async () => {
        for (let j = 0; j < ORDINARIES_PER_RUN; j++) {
          const page = await post(ORDINARY, { after: null });
          expect(page.body).toEqual({ data: { accepted: true } });
        }
      }),
    );
  }
  const ordinary = Math.min(...ordinaryMs) / ORDINARIES_PER_RUN;
  return { ...(answer as Omit<Answer, 'ordinaries'>), ordinaries: Math.min(...documentMs) / ordinary };
}

const codes = (answer: Answer) => answer.body.errors?.map((e) => e.extensions?.code);

/** 22 fragments, each spreading the next twice: 2^22 expansions for a walk without memory. */
function fragmentChain(n: number): string {
  const fragments = Array.from(
    { length: n },
    (_, i) => `fragment F${i} on Projection { ...F${i + 1} ...F${i + 1} }`,
  );
  return `{ projections { ...F0 } } ${fragments.join(' ')} fragment F${n} on Projection { name }`;
}

const aliases = (n: number, field: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('bounded work before execution (issue 15.4)', () => {
  it('refuses 22 fragments each spreading the next twice as too costly, for the CPU of a few ordinary requests', async () => {
    const answer = await send(fragmentChain(22));
    expect(new Set(codes(answer))).toEqual(new Set(['QUERY_TOO_COSTLY']));
    expect(answer.body.errors?.map((e) => e.message)).toContain(
      'query cost 41943041 exceeds the maximum of 20000',
    );
    expect(answer.ordinaries).toBeLessThan(10);
  });

  it('refuses 3,000 nested fields as QUERY_TOO_DEEP, a client error (not a 500)', async () => {
    const answer = await send(`{${'projections {'.repeat(3000)} name ${'}'.repeat(3000)}}`);
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['QUERY_TOO_DEEP']);
    expect(answer.ordinaries).toBeLessThan(MOST_ORDINARIES);
  });

  it('gives a document just too deep for the scan its exact depth', async () => {
    const answer = await send(`{${'projections {'.repeat(40)} name ${'}'.repeat(40)}}`);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: 'query depth 41 exceeds the maximum of 10',
      extensions: { code: 'QUERY_TOO_DEEP' },
    });
  });

  it('costs each aliased root connection as the read it runs: 900 searchProducts(first: 0) are refused', async () => {
    const answer = await send(aliases(900, 'searchProducts(first: 0) { __typename }'));
    expect(codes(answer)).toEqual(['QUERY_TOO_COSTLY']);
    expect(answer.body.errors?.[0]?.message).toBe(
      `query cost ${900 * (1 + READ_COST + 1)} exceeds the maximum of 20000`,
    );
    expect(answer.ordinaries).toBeLessThan(MOST_ORDINARIES);
  });

  it('accepts 1,600 aliased projections (read once per request) within the bound', async () => {
    const answer = await send(aliases(1600, 'projections { name }'));
    expect(answer.body).toEqual({ data: { accepted: true } });
    expect(answer.ordinaries).toBeLessThan(MOST_ORDINARIES);
  });

  it.each([
    ['800 identical fields with arguments', `{${' order(id: "x") { id status }'.repeat(800)} }`],
    ['2,000 nested identical selections', `{ orders(first: 1) { edges {${' node { id }'.repeat(2000)} } } }`],
    [
      '200 fragments repeating one field',
      `{ ${Array.from({ length: 200 }, (_, i) => `...F${i}`).join(' ')} } ${Array.from({ length: 200 }, (_, i) => `fragment F${i} on Query { order(id: "x") { id } }`).join(' ')}`,
    ],
  ])('refuses %s, whose validation alone would take millions of comparisons', async (_, query) => {
    const answer = await send(query);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: 'query repeats fields too often: validating it takes over 50000 field comparisons',
      extensions: { code: 'QUERY_TOO_COSTLY' },
    });
    expect(answer.ordinaries).toBeLessThan(MOST_ORDINARIES);
  });

  it.each([
    ['9,000 __typename', `{${' __typename'.repeat(9000)} }`],
    ['4,000 spreads of one fragment', `{${' ...F'.repeat(4000)} } fragment F on Query { __typename }`],
    [
      '3,000 spreads of a 1,000-field fragment',
      `{${' ...F'.repeat(3000)} } fragment F on Query { ${aliases(1000, '__typename').slice(1, -1)} }`,
    ],
    ['a 250 KB string argument', `{ order(id: "${'x'.repeat(250_000)}") { id } }`],
    [
      '2,400 variable definitions',
      `query(${Array.from({ length: 2400 }, (_, i) => `$v${i}: Int`).join(' ')}) { __typename }`,
    ],
    ['150 nested inline fragments', `{${'... on Query {'.repeat(150)} __typename ${'}'.repeat(150)}}`],
    ['190 nested input objects', `{ order(id: ${'{a:'.repeat(190)}1${'}'.repeat(190)}) { id } }`],
    [
      'braces inside strings and comments',
      `{ order(id: "${'{'.repeat(5000)}") { id } # ${'{'.repeat(5000)}\n}`,
    ],
  ])('answers %s (≤ 256 KB) within the CPU of 150 ordinary requests', async (_, query) => {
    const answer = await send(query);
    expect(answer.status).toBeLessThan(500);
    expect(answer.ordinaries).toBeLessThan(MOST_ORDINARIES);
  });

  it('the schema makes every root connection a read', () => {
    const rules = costRules(schema);
    expect(rules.rootReadCost('orders')).toBe(READ_COST);
    expect(rules.rootReadCost('searchProducts')).toBe(READ_COST);
    expect(rules.rootReadCost('order')).toBe(0);
    expect(rules.rootReadCost('projections')).toBe(0);
  });
});

describe('argument values no store can hold (issue 15.5)', () => {
  it('refuses a NUL in a literal argument as BAD_USER_INPUT', async () => {
    const answer = await send('{ order(id: "a\\u0000b") { id } }');
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.errors?.[0]?.message).toBe('a string argument contains a NUL character (U+0000)');
  });

  it('refuses a NUL in a variable as BAD_USER_INPUT, naming the variable', async () => {
    const answer = await send('query($id: ID!) { order(id: $id) { id } }', { id: 'a\u0000b' });
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.errors?.[0]?.message).toBe('variables: id: contains a NUL character (U+0000)');
  });

  it('refuses it in a subscription argument too', async () => {
    const answer = await send('subscription { orderUpdated(id: "a\\u0000b") { id } }');
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
  });

  it('lets ordinary text through', async () => {
    const answer = await send('{ order(id: "ordre-é-😀") { id } }');
    expect(answer.body).toEqual({ data: { accepted: true } });
  });
});
