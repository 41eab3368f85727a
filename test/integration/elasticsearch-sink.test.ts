import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { PriceChanged, ProductAdded } from '../../examples/shop/events/catalog.ts';
import {
  commitUnitOfWork,
  defineDocumentProjection,
  documentWriter,
  ElasticsearchGeneration,
  elasticsearchIndex,
  engineDeps,
  fromBeginning,
  LeaseLostError,
  type Positions,
  reconcileGenerations,
  runnerFor,
  StaleCheckpointError,
  StoreAheadError,
  type Stored,
  type UnitOfWork,
} from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

interface Price {
  priceCents: number;
}

const priceIndex = elasticsearchIndex({ properties: { priceCents: { type: 'integer' } } });

/** A probe view whose `integer` mapping refuses prices above 2^31: a document-level error. */
const prices = defineDocumentProjection(shop, {
  name: 'price_probe',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.product_added.v2', 'catalog.price_changed.v1'],
  key: (e) => e.data.productId,
  evolve: (_doc: Price | null, e): Price => ({ priceCents: e.data.priceCents }),
  target: priceIndex,
});

describe('Elasticsearch sink', () => {
  let env: TestEnvironment;
  let sink: ElasticsearchGeneration<Price, never>;

  const product = (productId: string, priceCents: number) => ({
    eventType: ProductAdded,
    data: {
      productId,
      sku: productId,
      name: productId,
      description: '',
      category: 'c',
      priceCents,
      tags: [],
    },
    id: `add-${productId}`,
    time: '2026-01-01T00:00:00.000Z',
    source: '/test',
  });

  /** What the engine does with a folded batch: one transaction, with `_bulk` before its COMMIT. */
  async function commitBatch(change: {
    docs: Map<string, Stored<Price>>;
    expected: Positions;
    next: Positions;
  }) {
    await commitUnitOfWork(
      env.infrastructure.pool,
      { projection: 'price_probe', generation: 1, fence: undefined },
      { expected: change.expected, next: change.next, deadLetters: [], resolvedDeadLetters: [] },
      { outside: () => sink.writeOutside(change.docs) },
    );
  }

  async function runUntil(position: number) {
    const deps = engineDeps(env.config, env.infrastructure, env.log);
    const unitOfWork: UnitOfWork = (move, writes) =>
      commitUnitOfWork(
        env.infrastructure.pool,
        { projection: 'price_probe', generation: 1, fence: undefined },
        move,
        writes,
      );
    const runner = runnerFor(prices, 1, deps, {
      parts: { storage: sink, writer: documentWriter(prices as never, sink, unitOfWork) },
    });
    const stop = new AbortController();
    const running = runner.run(stop.signal);
    await eventually(async () => (runner.progress.positions.CATALOG === position ? true : undefined), 30_000);
    stop.abort();
    await running;
  }

  async function documents() {
    await env.infrastructure.es.indices.refresh({ index: sink.index });
    const response = await env.infrastructure.es.search<Price & { _positions: unknown }>({
      index: sink.alias,
      size: 100,
      version: true,
    });
    return Object.fromEntries(
      response.hits.hits.map((h) => [h._id, { source: h._source, version: h._version }]),
    );
  }

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams, es, pool } = env.infrastructure;
    sink = new ElasticsearchGeneration(es, pool, env.log, prices, streams.namespace, 1, 0);
    for (const [id, price] of [
      ['p1', 100],
      ['p2', 200],
      ['p3', 300],
    ] as const) {
      await publishEvent(nats.js, streams, product(id, price));
    }
    await publishEvent(nats.js, streams, {
      eventType: PriceChanged,
      data: { productId: 'p2', priceCents: 3_000_000_000 },
      id: 'too-big',
      time: '2026-01-01T00:00:01.000Z',
      source: '/test',
    });
    await reconcileGenerations(pool, prices, fromBeginning(['CATALOG']));
    await runUntil(4);
  });

  afterAll(async () => {
    await env.infrastructure.es.indices.delete({ index: sink.index }).catch(() => undefined);
    await env?.cleanup();
  });

  it('writes documents with their absorbed positions', async () => {
    const docs = await documents();
    expect(docs.p1?.source).toEqual({ priceCents: 100, _positions: { CATALOG: 1 } });
    expect(docs.p3?.source).toEqual({ priceCents: 300, _positions: { CATALOG: 3 } });
  });

  it('dead-letters the event whose document Elasticsearch refuses, and applies the rest of the batch', async () => {
    const { rows } = await env.infrastructure.pool.query(
      `SELECT stream, sequence, subject, type, error_code, convert_from(payload, 'UTF8')::jsonb->>'id' AS id
         FROM vista_dead_letters WHERE projection = 'price_probe'`,
    );
    expect(rows).toEqual([
      {
        stream: 'CATALOG',
        sequence: 4,
        subject: env.infrastructure.streams.namespace
          ? `${env.infrastructure.streams.namespace}.catalog.price_changed.p2`
          : 'catalog.price_changed.p2',
        type: 'catalog.price_changed.v1',
        error_code: expect.stringMatching(/^ELASTICSEARCH_(DOCUMENT|MAPPER)_PARSING_EXCEPTION$/),
        id: 'too-big',
      },
    ]);
    // Only the poison event is left out: p2 holds what its product_added said.
    const docs = await documents();
    expect(Object.keys(docs).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(docs.p2?.source).toEqual({ priceCents: 200, _positions: { CATALOG: 2 } });
  });

  it('replaying the whole range from sequence 1 changes no document', async () => {
    const before = await documents();
    await env.infrastructure.pool.query(
      `UPDATE vista_checkpoints SET position = 0 WHERE projection = 'price_probe'`,
    );
    await runUntil(4);
    expect(await documents()).toEqual(before);
  });

  it('a stale writer loses: its older version is refused and its checkpoint move fails', async () => {
    const before = await documents();
    const stale = commitBatch({
      docs: new Map([['p1', { doc: { priceCents: 999 }, positions: { CATALOG: 1 } }]]),
      expected: { CATALOG: 0 },
      next: { CATALOG: 1 },
    });
    await expect(stale).rejects.toBeInstanceOf(StaleCheckpointError);
    expect(await documents()).toEqual(before);
  });

  it('after a crash before the checkpoint, a replay cut into other batches still writes what is new', async () => {
    const { pool } = env.infrastructure;
    const commit = (
      price: number,
      positions: Record<string, number>,
      expected: Record<string, number>,
      next: Record<string, number>,
    ) => commitBatch({ docs: new Map([['p9', { doc: { priceCents: price }, positions }]]), expected, next });
    const at = async () =>
      Object.fromEntries(
        (
          await pool.query(`SELECT stream, position FROM vista_checkpoints WHERE projection = 'price_probe'`)
        ).rows.map((r) => [r.stream, Number(r.position)]),
      );
    // Before the crash: a batch far along both streams wrote p9, then the process died before
    // its checkpoint (simulated by putting the checkpoint back).
    const before = await at();
    await commit(100, { CATALOG: 10, ORDERS: 100 }, before, { CATALOG: 10, ORDERS: 100 });
    await pool.query(`DELETE FROM vista_checkpoints WHERE projection = 'price_probe' AND stream = 'ORDERS'`);
    await pool.query(`UPDATE vista_checkpoints SET position = $1 WHERE projection = 'price_probe'`, [
      before.CATALOG,
    ]);
    // The replay's batch reaches further on CATALOG but far less on ORDERS: its positions total
    // less than the first batch's, yet p9 absorbed a new event and must be written.
    await commit(
      200,
      { CATALOG: 11, ORDERS: 100 },
      { CATALOG: before.CATALOG as number },
      { CATALOG: 11, ORDERS: 50 },
    );
    const docs = await documents();
    expect(docs.p9?.source).toEqual({ priceCents: 200, _positions: { CATALOG: 11, ORDERS: 100 } });
  });

  it('a 409 counts as already applied only when the stored positions dominate on every stream', async () => {
    const write = (positions: Record<string, number>, priceCents: number) =>
      sink.writeOutside(new Map([['p8', { doc: { priceCents }, positions }]]));
    await write({ CATALOG: 40, ORDERS: 70 }, 1); // version 110
    await expect(write({ CATALOG: 40, ORDERS: 70 }, 1)).resolves.toBeUndefined(); // a replay
    await expect(write({ CATALOG: 30, ORDERS: 60 }, 2)).resolves.toBeUndefined(); // older: held
    // Version 105 loses to 110, yet the stored document never absorbed CATALOG 41..100.
    await expect(write({ CATALOG: 100, ORDERS: 5 }, 3)).rejects.toBeInstanceOf(StoreAheadError);
    expect((await documents()).p8?.source).toEqual({
      priceCents: 1,
      _positions: { CATALOG: 40, ORDERS: 70 },
    });
  });

  it('says what the mapping cannot hold before anything is written; what only Elasticsearch finds, it refuses after the rest is written', async () => {
    const write = (docs: [string, unknown][]) =>
      sink.writeOutside(
        new Map(
          docs.map(([id, priceCents]) => [id, { doc: { priceCents } as Price, positions: { CATALOG: 50 } }]),
        ),
      );
    // Past an integer: known from the mapping, so the fold fails its event and nothing is written.
    expect(sink.refusal('p20', { priceCents: 3_000_000_000 } as Price, null)).toMatchObject({
      code: 'ELASTICSEARCH_DOCUMENT_PARSING_EXCEPTION',
      keys: ['p20'],
      message: expect.stringMatching(
        /^Elasticsearch would refuse document p20: priceCents \(integer\) is out of range/,
      ),
    });
    expect(sink.refusal('p21', { priceCents: 21 } as Price, null)).toBeUndefined();
    // A string in a numeric field is Elasticsearch's to parse: refused by it, after p23 is written.
    await expect(
      write([
        ['p22', 'twenty-two'],
        ['p23', 23],
      ]),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/^ELASTICSEARCH_(DOCUMENT|MAPPER)_PARSING_EXCEPTION$/),
      keys: ['p22'],
      message: expect.stringMatching(/^Elasticsearch refused 1 document\(s\), p22 first/),
    });
    const docs = await documents();
    expect([docs.p20, docs.p22]).toEqual([undefined, undefined]);
    expect(docs.p23?.source).toEqual({ priceCents: 23, _positions: { CATALOG: 50 } });
  });

  it('a document evolved to null is a tombstone with its positions, and a stale owner cannot bring it back', async () => {
    const { es, pool, streams } = env.infrastructure;
    const owner = (epoch: number) =>
      new ElasticsearchGeneration<Price, never>(es, pool, env.log, prices, streams.namespace, 1, epoch);
    await owner(1).writeOutside(new Map([['p6', { doc: { priceCents: 6 }, positions: { CATALOG: 6 } }]]));
    await owner(1).writeOutside(new Map([['p6', { doc: null, positions: { CATALOG: 7 } }]]));
    // Far longer than index.gc_deletes would keep a real delete's version: a tombstone is a document.
    expect((await owner(1).load(['p6'])).get('p6')).toEqual({ doc: null, positions: { CATALOG: 7 } });
    // The owner of epoch 0 wakes up with a write it folded before the delete: it loses, and says so.
    await expect(
      owner(0).writeOutside(new Map([['p6', { doc: { priceCents: 5 }, positions: { CATALOG: 6 } }]])),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect((await owner(1).load(['p6'])).get('p6')).toEqual({ doc: null, positions: { CATALOG: 7 } });
    expect((await documents()).p6?.source).toEqual({ _deleted: true, _positions: { CATALOG: 7 } });
  });

  it('a store ahead of the checkpoint in a way the owner cannot explain halts the projection and says so', async () => {
    const { pool, nats, streams } = env.infrastructure;
    // The tests above left the checkpoint wherever they needed it: start this one at the head.
    const head = (await streamHeads(nats.jsm, streams, ['CATALOG'])).CATALOG ?? 0;
    await pool.query(
      `DELETE FROM vista_checkpoints WHERE projection = 'price_probe' AND stream <> 'CATALOG'`,
    );
    await pool.query(`UPDATE vista_checkpoints SET position = $1 WHERE projection = 'price_probe'`, [head]);
    const deps = engineDeps(env.config, env.infrastructure, env.log);
    const unitOfWork: UnitOfWork = (move, writes) =>
      commitUnitOfWork(pool, { projection: 'price_probe', generation: 1, fence: undefined }, move, writes);
    const runner = runnerFor(prices, 1, deps, {
      parts: { storage: sink, writer: documentWriter(prices as never, sink, unitOfWork) },
    });
    const stop = new AbortController();
    const running = runner.run(stop.signal);
    const priceOfP1 = (priceCents: number) =>
      publishEvent(nats.js, streams, {
        eventType: PriceChanged,
        data: { productId: 'p1', priceCents },
        id: `p1-${priceCents}`,
        time: '2026-01-01T00:00:02.000Z',
        source: '/test',
      });
    // The owner folds p1 once, and keeps it in its cache.
    await priceOfP1(140);
    await eventually(async () => (runner.progress.positions.CATALOG === head + 1 ? true : undefined));
    // Behind the owner's back, p1 absorbs events of a history the owner never read (ORDERS 900).
    await sink.writeOutside(new Map([['p1', { doc: { priceCents: 1 }, positions: { ORDERS: 900 } }]]));
    await priceOfP1(150);
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined), 30_000, 'a halt');
    stop.abort();
    await running;
    expect(runner.progress.lastError).toMatch(/document p1 .* holds positions \{"ORDERS":900\}.*rebuild/);
    const { rows } = await pool.query(
      `SELECT status, detail FROM vista_generations WHERE projection = 'price_probe' AND generation = 1`,
    );
    expect(rows[0]?.status).toBe('halted');
    expect((await documents()).p1?.source).toEqual({ priceCents: 1, _positions: { ORDERS: 900 } });
  });

  it('spaces the refreshes of a live index (ELASTICSEARCH_REFRESH_MS): a batch sooner waits for its turn, and is searchable when its write returns', async () => {
    const { es, pool } = env.infrastructure;
    const spacingMs = 400;
    // A generation of its own (9), live: made last, since its alias now points at it.
    const spaced = new ElasticsearchGeneration<Price, never>(
      es,
      pool,
      env.log,
      prices,
      env.infrastructure.streams.namespace,
      9,
      0,
      0,
      spacingMs,
    );
    try {
      await spaced.ensure('live');
      const write = (id: string, priceCents: number) =>
        spaced.writeOutside(new Map([[id, { doc: { priceCents }, positions: { CATALOG: priceCents } }]]));
      const searchable = async (id: string) =>
        (await es.search({ index: spaced.index, query: { ids: { values: [id] } } })).hits.hits.length;
      const started = performance.now();
      await write('s1', 1);
      expect(await searchable('s1')).toBe(1);
      await write('s2', 2);
      // The second refresh came at least `spacingMs` after the first began (without spacing,
      // both writes take a few tens of milliseconds).
      expect(performance.now() - started).toBeGreaterThanOrEqual(spacingMs);
      // Searched without a refresh of the test's own: the write's refresh made it visible.
      expect(await searchable('s2')).toBe(1);
    } finally {
      await es.indices.delete({ index: spaced.index }).catch(() => undefined);
    }
  });
});
