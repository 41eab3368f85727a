import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { PriceChanged, StockAdjusted } from '../../examples/shop/events/catalog.ts';
import {
  defineDocumentProjection,
  defineSqlProjection,
  engineDeps,
  fromBeginning,
  listDeadLetters,
  type PoisonPolicy,
  type Projection,
  postgresTable,
  rebuild,
  reconcileGenerations,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

interface Probe {
  price: number | null;
  note: string | null;
}

/** A document view whose columns cannot hold every value the contract accepts. */
function documentProbe(onPoison: PoisonPolicy, name = `probe_doc_${onPoison}`) {
  return defineDocumentProjection(shop, {
    name,
    version: 1,
    sources: [{ stream: 'CATALOG' }],
    handles: ['catalog.price_changed.v1', 'catalog.stock_adjusted.v1'],
    onPoison,
    key: (e) => e.data.productId,
    evolve: (doc: Probe | null, e): Probe => ({
      price: e.type === 'catalog.price_changed.v1' ? e.data.priceCents : (doc?.price ?? null),
      note: e.type === 'catalog.stock_adjusted.v1' ? e.data.reason : (doc?.note ?? null),
    }),
    // integer: up to 2^31 − 1, while the contract allows prices up to 2^53 − 1.
    target: postgresTable<Probe>({ columns: { price: 'integer', note: 'text' } }),
  });
}

/** A SQL view whose statements refuse big prices and whose own code throws on product p7. */
const sqlProbe = defineSqlProjection(shop, {
  name: 'probe_sql',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.price_changed.v1'],
  tables: (t) => [`CREATE TABLE IF NOT EXISTS ${t('prices')} (id text PRIMARY KEY, price integer NOT NULL)`],
  view: (t) => `SELECT * FROM ${t('prices')}`,
  apply: async (events, sql) => {
    if (events.some((e) => e.data.productId === 'p7')) throw new Error('p7 is not supported');
    await sql.query(
      `INSERT INTO ${sql.table('prices')} (id, price) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (id) DO UPDATE SET price = EXCLUDED.price`,
      [events.map((e) => e.data.productId), events.map((e) => e.data.priceCents)],
    );
  },
});

describe('poison is the event, not the batch', () => {
  let env: TestEnvironment;
  let stop: AbortController;
  let running: Promise<void>[];

  const publish = (n: number, event: Parameters<typeof publishEvent>[2]['eventType'], data: object) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: event,
      data: data as never,
      id: `e-${n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  /** 20 events in one batch: prices of p1..p10 (p4's too big), then notes (p5's holds a NUL). */
  async function publishHistory() {
    for (let i = 1; i <= 10; i++) {
      await publish(i, PriceChanged, { productId: `p${i}`, priceCents: i === 4 ? 3_000_000_000 : i * 100 });
    }
    for (let i = 1; i <= 10; i++) {
      await publish(10 + i, StockAdjusted, {
        productId: `p${i}`,
        delta: 1,
        reason: i === 5 ? 'a\u0000b' : 'ok',
      });
    }
  }

  async function start(projection: Projection, config: Partial<TestEnvironment['config']> = {}) {
    await reconcileGenerations(env.infrastructure.pool, projection, fromBeginning(['CATALOG']));
    const deps = engineDeps({ ...env.config, ...config }, env.infrastructure, env.log);
    const runner = runnerFor(projection, 1, deps);
    running.push(runner.run(stop.signal));
    return runner;
  }

  const rows = async (view: string) =>
    (await env.infrastructure.pool.query(`SELECT * FROM ${view} ORDER BY id`)).rows;

  beforeEach(async () => {
    stop = new AbortController();
    running = [];
    env = await testEnvironment();
  });

  afterEach(async () => {
    stop.abort();
    await Promise.all(running);
    await env.cleanup();
  });

  it('skip: a batch holding two values PostgreSQL cannot take is applied without the two events that hold them', async () => {
    await publishHistory();
    const runner = await start(documentProbe('skip'));
    await eventually(async () => (runner.progress.positions.CATALOG === 20 ? true : undefined));
    expect(runner.progress.status).toBe('running');
    const letters = await listDeadLetters(env.infrastructure.pool, 'probe_doc_skip');
    expect(letters.map((l) => [l.sequence, l.errorCode])).toEqual([
      [4, 'UNSTORABLE_DOCUMENT'],
      [15, expect.stringMatching(/^SQLSTATE_22|^INVALID_DATA$|^UNSTORABLE$/)],
    ]);
    expect(letters[0]?.type).toBe('catalog.price_changed.v1');
    expect(letters[0]?.error).toMatch(
      /^document p4 cannot be stored in probe_doc_skip__g1: price: 3000000000 is outside integer/,
    );
    const view = await rows('probe_doc_skip');
    expect(view).toHaveLength(10);
    expect(view.find((r) => r.id === 'p4')).toEqual({ id: 'p4', price: null, note: 'ok' });
    expect(view.find((r) => r.id === 'p5')).toEqual({ id: 'p5', price: 500, note: null });
    expect(view.find((r) => r.id === 'p6')).toEqual({ id: 'p6', price: 600, note: 'ok' });
  });

  it('a value a later event replaces is dead-lettered the same whether or not a batch cut falls between them', async () => {
    // p1's price past an integer, then a price it can hold: one batch would only ever write the second.
    await publish(1, PriceChanged, { productId: 'p1', priceCents: 3_000_000_000 });
    await publish(2, PriceChanged, { productId: 'p1', priceCents: 100 });
    await publish(3, PriceChanged, { productId: 'p2', priceCents: 200 });
    const together = await start(documentProbe('skip', 'probe_doc_together'));
    const apart = await start(documentProbe('skip', 'probe_doc_apart'), { BATCH_SIZE: 1 });
    for (const runner of [together, apart])
      await eventually(async () => (runner.progress.positions.CATALOG === 3 ? true : undefined));
    for (const view of ['probe_doc_together', 'probe_doc_apart']) {
      const letters = await listDeadLetters(env.infrastructure.pool, view);
      expect([view, letters.map((l) => [l.sequence, l.errorCode])]).toEqual([
        view,
        [[1, 'UNSTORABLE_DOCUMENT']],
      ]);
      expect(await rows(view)).toEqual([
        { id: 'p1', price: 100, note: null },
        { id: 'p2', price: 200, note: null },
      ]);
    }
  });

  it('an evolve that returns undefined (a case label with a typo) costs only its events, under skip', async () => {
    await publishHistory();
    const typo = defineDocumentProjection(shop, {
      name: 'probe_typo',
      version: 1,
      sources: [{ stream: 'CATALOG' }],
      handles: ['catalog.price_changed.v1', 'catalog.stock_adjusted.v1'],
      key: (e) => e.data.productId,
      // The second label's typo is what a team meets: its type checks lose to the `as`.
      evolve: (doc: Probe | null, e): Probe => {
        switch (e.type as string) {
          case 'catalog.price_changed.v1':
            return { price: (e.data as { priceCents: number }).priceCents % 1000, note: doc?.note ?? null };
          case 'catalog.stock_ajdusted.v1':
            return { price: doc?.price ?? null, note: 'adjusted' };
        }
        return undefined as unknown as Probe;
      },
      target: postgresTable<Probe>({ columns: { price: 'integer', note: 'text' } }),
    });
    const runner = await start(typo);
    await eventually(async () => (runner.progress.positions.CATALOG === 20 ? true : undefined));
    expect(runner.progress.status).toBe('running');
    const letters = await listDeadLetters(env.infrastructure.pool, 'probe_typo');
    expect(letters.map((l) => [l.sequence, l.errorCode])).toEqual(
      // p5's note holds a NUL: refused at decoding, before any handler runs.
      Array.from({ length: 10 }, (_, i) => [11 + i, i === 4 ? 'UNSTORABLE' : 'HANDLER_FAILED']),
    );
    expect(letters[0]?.error).toBe(
      'evolve returned undefined for key p1: expected the document, or null to delete it',
    );
    expect(await rows('probe_typo')).toHaveLength(10);
  });

  it('halt: the projection halts just before the event, with a dead letter naming it', async () => {
    await publishHistory();
    const runner = await start(documentProbe('halt'));
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined));
    expect(runner.progress.positions.CATALOG).toBe(3);
    const letters = await listDeadLetters(env.infrastructure.pool, 'probe_doc_halt');
    expect(letters.map((l) => [l.stream, l.sequence, l.errorCode])).toEqual([
      ['CATALOG', 4, 'UNSTORABLE_DOCUMENT'],
    ]);
    // The runner records its status after the fact: wait for the record, not only the runner.
    const recorded = await eventually(async () => {
      const { rows } = await env.infrastructure.pool.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM vista_projections WHERE name = 'probe_doc_halt'`,
      );
      return rows[0]?.status === 'halted' ? rows[0] : undefined;
    });
    expect(recorded).toMatchObject({
      status: 'halted',
      detail: expect.stringMatching(/UNSTORABLE_DOCUMENT at CATALOG #4/),
    });
    expect((await rows('probe_doc_halt')).map((r) => r.id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('a SQL view: a statement refusing a value and the view code throwing cost only their own events', async () => {
    for (let i = 1; i <= 10; i++) {
      await publish(i, PriceChanged, { productId: `p${i}`, priceCents: i === 4 ? 3_000_000_000 : i * 100 });
    }
    const runner = await start(sqlProbe);
    await eventually(async () => (runner.progress.positions.CATALOG === 10 ? true : undefined));
    const letters = await listDeadLetters(env.infrastructure.pool, 'probe_sql');
    expect(letters.map((l) => [l.sequence, l.errorCode, l.error])).toEqual([
      [4, 'SQLSTATE_22003', expect.stringMatching(/out of range/)],
      [7, 'HANDLER_FAILED', 'p7 is not supported'],
    ]);
    expect((await rows('probe_sql')).map((r) => r.id)).toEqual([
      'p1',
      'p10',
      'p2',
      'p3',
      'p5',
      'p6',
      'p8',
      'p9',
    ]);
  });

  it('any payload can be dead-lettered: 39 raw bytes with a NUL in their type are kept byte for byte', async () => {
    const { nats, streams } = env.infrastructure;
    const raw = new TextEncoder().encode('{"specversion":"0.0","type":"x\\u0000y"}');
    expect(raw.length).toBe(39);
    await publish(1, PriceChanged, { productId: 'p1', priceCents: 100 });
    const prefix = streams.namespace ? `${streams.namespace}.` : '';
    await nats.js.publish(`${prefix}catalog.x.y`, raw);
    await publish(3, PriceChanged, { productId: 'p2', priceCents: 200 });
    const runner = await start(documentProbe('skip'));
    await eventually(async () => (runner.progress.positions.CATALOG === 3 ? true : undefined));
    const [letter] = await listDeadLetters(env.infrastructure.pool, 'probe_doc_skip');
    expect(letter?.sequence).toBe(2);
    expect(Buffer.from(letter?.payload ?? []).equals(Buffer.from(raw))).toBe(true);
    expect((await rows('probe_doc_skip')).map((r) => r.id)).toEqual(['p1', 'p2']);
  });

  it('a rebuild whose new generation halts says so and fails', async () => {
    await publishHistory();
    const projection = documentProbe('halt');
    await reconcileGenerations(env.infrastructure.pool, projection, fromBeginning(['CATALOG']));
    const deps = engineDeps(env.config, env.infrastructure, env.log);
    // No projector owns it: `rebuild` runs it in this process, as `vista rebuild` does.
    await expect(
      rebuild(projection, deps, env.config.DATABASE_URL, env.log, () => undefined),
    ).rejects.toThrow(/generation 2 of probe_doc_halt halted: UNSTORABLE_DOCUMENT at CATALOG #4/);
  });
});
