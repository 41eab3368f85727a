/**
 * The Emmett peer (issue 7): the same history in Emmett's own PostgreSQL event store, and the
 * `orders` view rebuilt from it by Emmett's machinery with Vista's evolve and the same
 * set-based unnest upsert, so that the framework around them is the difference.
 *
 * Two paths (`EmmettPath`):
 * - `rebuildPostgreSQLProjections`, Emmett 0.42's API for replaying everything into a
 *   projection and the headline figure: a consumer that pulls the global log in batches from
 *   the beginning, truncates the view on start and stops when no messages are left. Its
 *   projector hands the projection one event at a time and stores its checkpoint after every
 *   event (one transaction per pulled batch): what Emmett users get.
 * - `batch-puller`, the same building blocks with the whole batch handed over (as Emmett
 *   does for inline projections) and one checkpoint per batch: the best case Emmett's parts
 *   allow, the shape of Vista's engine.
 * The handler is the same in both: load the batch's rows, fold, one upsert.
 *
 * Usage: npx tsx bench/emmett.ts [events=100000]
 */

import { pathToFileURL } from 'node:url';
import { type Dumbo, dumbo, setNodePostgresTypeParser } from '@event-driven-io/dumbo';
import type { Event, ReadEvent } from '@event-driven-io/emmett';
import {
  defaultTag,
  getPostgreSQLEventStore,
  handleProjections,
  type PostgreSQLProjectionHandlerContext,
  type PostgresReadEventMetadata,
  postgreSQLEventStoreMessageBatchPuller,
  postgreSQLProjection,
  rebuildPostgreSQLProjections,
  storeProcessorCheckpoint,
  transactionToPostgreSQLProjectionHandlerContext,
} from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { shop } from '../examples/shop/contract.ts';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { type OrderDoc, orders } from '../examples/shop/views/orders.ts';
import {
  isolatedInstallation,
  type OutgoingEvent,
  snakeCase,
  tableColumns,
} from '../projectors/engine/internal.ts';
import { createPool, dropDatabase, ensureDatabase, ident } from '../shared/clients/postgres.ts';

/** One event as Emmett stores it: the CloudEvents type and data, time and source as metadata. */
type StoredEvent = Event<
  string,
  Record<string, unknown>,
  { time: string; source: string; messageId: string }
>;
type OrdersEvent = Parameters<typeof orders.evolve>[1];

export interface EmmettRebuild {
  readonly path: EmmettPath;
  /** Events the orders projection handled (its ORDERS and PAYMENTS events). */
  readonly events: number;
  /** Events the consumer read from the global log: every stream's, as Emmett has one log. */
  readonly read: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

export interface EmmettPeer {
  /** The database of Emmett's store and its orders table, for checks. */
  readonly connectionString: string;
  /** One timed rebuild of the orders view from the start of the store (repeatable). */
  rebuild(path?: EmmettPath): Promise<EmmettRebuild>;
  /** Drops the store's database. */
  close(): Promise<void>;
}

export interface EmmettOptions {
  /** Events per pulled batch; Vista's BATCH_SIZE for a like-for-like figure. */
  readonly batchSize: number;
}

const TABLE = 'orders';
const HANDLES = new Set<string>(orders.handles);
const target = orders.target.kind === 'postgres' ? orders.target : undefined;
if (!target) throw new Error('the orders view must target a PostgreSQL table');
/** The columns Vista's PostgreSQL store derives for the view, by document key. */
const TABLE_COLUMNS = tableColumns(target, orders.api);
const KEYS = Object.keys(TABLE_COLUMNS) as (keyof OrderDoc & string)[];
const COLUMNS = KEYS.map(snakeCase);
const TYPES = KEYS.map((key) => TABLE_COLUMNS[key]);

/** The view's table and indexes as Vista's PostgreSQL sink creates them for a generation. */
const CREATE_TABLE = [
  `CREATE TABLE IF NOT EXISTS ${ident(TABLE)} (id text PRIMARY KEY, ${COLUMNS.map((c, i) => `${ident(c)} ${TYPES[i]}`).join(', ')})`,
  ...(target.indexes ?? []).map((keys) => {
    const columns = keys.map(snakeCase);
    return `CREATE INDEX IF NOT EXISTS ${ident(`${TABLE}__${columns.join('_')}`)} ON ${ident(TABLE)} (${[...columns, 'id'].map(ident).join(', ')})`;
  }),
];
const LOAD = `SELECT * FROM ${ident(TABLE)} WHERE id = ANY($1::text[])`;
const UPSERT = `INSERT INTO ${ident(TABLE)} (${['id', ...COLUMNS].map(ident).join(', ')})
  SELECT * FROM unnest($1::text[], ${TYPES.map((type, i) => `$${i + 2}::${type}[]`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${COLUMNS.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}`;

function fromRow(row: Record<string, unknown>): OrderDoc {
  const doc: Record<string, unknown> = {};
  KEYS.forEach((key, i) => {
    const value = row[COLUMNS[i] as string];
    doc[key] =
      value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? Number(value) : value;
  });
  return doc as unknown as OrderDoc;
}

/**
 * An event read back from Emmett's store in the shape Vista's evolve takes. The store was
 * filled from the validated history and Emmett does not validate on read, so neither does
 * this peer: a cast, not a zod parse.
 */
function toOrdersEvent(e: ReadEvent<StoredEvent, PostgresReadEventMetadata>): OrdersEvent {
  return {
    id: e.metadata.messageId,
    type: e.type,
    source: e.metadata.source,
    time: e.metadata.time,
    data: e.data,
    subject: e.metadata.streamName,
    stream: shop.types.get(e.type)?.stream,
    sequence: Number(e.metadata.streamPosition),
  } as unknown as OrdersEvent;
}

/** Vista's evolve; the orders view never evolves a document to null (a delete). */
function evolved(doc: OrderDoc | null, event: OrdersEvent): OrderDoc {
  const next = orders.evolve(doc, event, event.data.orderId, null);
  if (next === null) throw new Error(`orders evolved ${event.data.orderId} to null`);
  return next;
}

/**
 * The orders view as an Emmett PostgreSQL projection: Vista's evolve in a batch handler that
 * loads the batch's rows, folds, and writes them back with one upsert. It filters by type
 * itself because `handleProjections` passes a batch whole once any event in it is handled.
 */
function ordersProjection(counter: { events: number }) {
  return postgreSQLProjection<StoredEvent>({
    name: 'orders',
    version: 1,
    canHandle: [...HANDLES],
    init: async ({ context }) => {
      for (const sql of CREATE_TABLE) await context.connection.client.query(sql);
    },
    truncate: async (context: PostgreSQLProjectionHandlerContext) => {
      await context.connection.client.query(`TRUNCATE ${ident(TABLE)}`);
    },
    handle: async (events, context) => {
      const client = context.connection.client;
      const batch = events.filter((e) => HANDLES.has(e.type)).map(toOrdersEvent);
      if (batch.length === 0) return;
      const ids = [...new Set(batch.map((e) => e.data.orderId))];
      const { rows } = await client.query<Record<string, unknown>>(LOAD, [ids]);
      const docs = new Map(rows.map((row) => [row.id as string, fromRow(row)]));
      for (const event of batch) {
        const id = event.data.orderId;
        docs.set(id, evolved(docs.get(id) ?? null, event));
      }
      const upserts = [...docs];
      await client.query(UPSERT, [
        upserts.map(([id]) => id),
        ...KEYS.map((k) => upserts.map(([, d]) => d[k])),
      ]);
      counter.events += batch.length;
    },
  });
}

type OrdersProjection = ReturnType<typeof ordersProjection>;

/**
 * Emmett's client (dumbo) sets pg's process-wide type parsers (int8 → BigInt, json/jsonb →
 * its own reviver) the first time it opens a pool. Benchmarks run Vista in the same process
 * between Emmett runs, so Emmett gets its parsers for its run and Vista gets its own back.
 */
const PARSED_OIDS = [pg.types.builtins.INT8, pg.types.builtins.JSON, pg.types.builtins.JSONB];

async function withEmmettParsers<T>(work: () => Promise<T>): Promise<T> {
  const saved = PARSED_OIDS.map((oid) => [oid, pg.types.getTypeParser(oid, 'text')] as const);
  setNodePostgresTypeParser({ force: true });
  try {
    return await work();
  } finally {
    for (const [oid, parse] of saved) pg.types.setTypeParser(oid, 'text', parse);
  }
}

/** `<context>-<aggregateId>`: Emmett's stream-per-aggregate naming. */
const streamNameOf = (e: OutgoingEvent) =>
  `${e.eventType.stream.toLowerCase()}-${e.eventType.aggregateId(e.data)}`;

/**
 * Appends the history to Emmett's store in its order, one `appendToStream` per event as the
 * commands would have. One appender: Emmett 0.42's consumer orders the log by transaction id
 * but resumes by global position, so concurrent appenders (whose sequence values and
 * transaction ids interleave) make it skip or repeat events. Commits do not wait for the WAL
 * flush while loading (untimed; the rebuild itself runs with the server's settings).
 */
async function load(url: string, history: Iterable<OutgoingEvent>): Promise<number> {
  const loading = new URL(url);
  loading.searchParams.set('options', '-c synchronous_commit=off');
  const store = getPostgreSQLEventStore(loading.toString(), { schema: { autoMigration: 'None' } });
  let total = 0;
  try {
    await store.schema.migrate();
    for (const e of history) {
      const stored: StoredEvent = {
        type: e.eventType.type,
        data: e.data as Record<string, unknown>,
        metadata: { time: e.time, source: e.source, messageId: e.id },
      };
      await store.appendToStream(streamNameOf(e), [stored]);
      total++;
    }
    return total;
  } finally {
    await store.close();
  }
}

/** Emmett's store: its database and the peer's connection pool to it, in Emmett's client. */
interface Store {
  readonly url: string;
  readonly pool: Dumbo;
}

/** How the rebuild reads the store and feeds the projection. */
export type EmmettPath = 'rebuildPostgreSQLProjections' | 'batch-puller';

/**
 * The idiomatic rebuild: Emmett's consumer from the beginning, truncating the view first,
 * until no messages are left. Its projector calls `handle` per event and stores the
 * checkpoint per event, in one transaction per pulled batch.
 */
async function viaRebuild(
  store: Store,
  projection: OrdersProjection,
  batchSize: number,
  processorId: string,
) {
  const consumer = rebuildPostgreSQLProjections<StoredEvent>({
    connectionString: store.url,
    pool: store.pool,
    projections: [{ projection, processorId }],
    // No pause between full batches: the default 50 ms is for tailing a live store.
    pulling: { batchSize, pullingFrequencyInMs: 0 },
  });
  try {
    await consumer.start();
  } finally {
    await consumer.close();
  }
}

/**
 * Emmett's own parts with the whole batch handed over: its batch puller reads the log,
 * `handleProjections` (what inline projections run on append) gives the projection the
 * batch, and one checkpoint per batch, all in one transaction per batch. Not an Emmett API
 * for rebuilds, but the best case its building blocks allow: the same shape as Vista's engine.
 */
async function viaBatchPuller(
  { url, pool }: Store,
  projection: OrdersProjection,
  batchSize: number,
  processorId: string,
) {
  await pool.withTransaction(async (transaction) => {
    const context = await transactionToPostgreSQLProjectionHandlerContext(url, pool, transaction);
    await projection.init?.({ version: 1, status: 'active', registrationType: 'async', context });
    await projection.truncate?.(context);
  });
  let checkpoint: bigint | null = null;
  const puller = postgreSQLEventStoreMessageBatchPuller<StoredEvent>({
    executor: pool.execute,
    batchSize,
    pullingFrequencyInMs: 0,
    stopWhen: { noMessagesLeft: true },
    signal: new AbortController().signal,
    eachBatch: (messages) =>
      pool.withTransaction(async (transaction) => {
        await handleProjections({
          events: messages,
          projections: [projection],
          connection: { connectionString: url, pool, transaction },
        });
        const last = messages.at(-1)?.metadata.globalPosition ?? null;
        await storeProcessorCheckpoint(transaction.execute, {
          processorId,
          version: 1,
          newCheckpoint: last,
          lastProcessedCheckpoint: checkpoint,
          partition: defaultTag,
        });
        checkpoint = last;
      }),
  });
  await puller.start({ startFrom: 'BEGINNING' });
}

/**
 * Creates a database beside `connectionString`'s (`<name>_emmett`) holding Emmett's event store
 * with `history` appended (not timed). `rebuild()` then times one rebuild of the orders view.
 *
 * @example
 * const emmett = await emmettPeer(env.config.DATABASE_URL, history, { batchSize: 2000 });
 * const { eventsPerSecond } = await emmett.rebuild();
 * await emmett.close();
 */
export async function emmettPeer(
  connectionString: string,
  history: Iterable<OutgoingEvent>,
  options: EmmettOptions,
): Promise<EmmettPeer> {
  const url = new URL(connectionString);
  url.pathname = `${url.pathname}_emmett`;
  const store = url.toString();
  await dropDatabase(store);
  await ensureDatabase(store);
  let total: number;
  try {
    total = await withEmmettParsers(() => load(store, history));
  } catch (error) {
    await dropDatabase(store);
    throw error;
  }
  // One pool for the peer's lifetime, warm and never idled out, as Vista's is: the benchmark's
  // CPU figures count only the PostgreSQL backends alive across a whole stage.
  const connections = new pg.Pool({ connectionString: store, max: 10, idleTimeoutMillis: 0 });
  const warm = await Promise.all(Array.from({ length: 3 }, () => connections.connect()));
  for (const client of warm) client.release();
  const emmett: Store = { url: store, pool: dumbo({ connectionString: store, pool: connections }) };
  let runs = 0;
  return {
    connectionString: store,
    rebuild: (path = 'rebuildPostgreSQLProjections') =>
      withEmmettParsers(async () => {
        const counter = { events: 0 };
        const projection = ordersProjection(counter);
        // A fresh processor per run: a stored checkpoint would make a second rebuild start at
        // the end (Vista's engine bench likewise builds a fresh generation each time).
        const processorId = `orders-rebuild-${++runs}`;
        const run = path === 'batch-puller' ? viaBatchPuller : viaRebuild;
        const started = performance.now();
        await run(emmett, projection, options.batchSize, processorId);
        const seconds = (performance.now() - started) / 1000;
        return {
          path,
          events: counter.events,
          read: total,
          seconds,
          eventsPerSecond: counter.events / seconds,
        };
      }),
    close: async () => {
      await connections.end();
      await dropDatabase(store);
    },
  };
}

/** Loads `history`, times one rebuild and drops the store: the figure for bench/rebuild.ts. */
export async function emmettRebuild(
  connectionString: string,
  history: Iterable<OutgoingEvent>,
  options: EmmettOptions & { readonly path?: EmmettPath },
): Promise<EmmettRebuild> {
  const peer = await emmettPeer(connectionString, history, options);
  try {
    return await peer.rebuild(options.path);
  } finally {
    await peer.close();
  }
}

/** The rows the view should hold: the history folded in memory with the same evolve. */
function expectedRows(history: readonly OutgoingEvent[]): Map<string, OrderDoc> {
  const docs = new Map<string, OrderDoc>();
  for (const e of history) {
    if (!HANDLES.has(e.eventType.type)) continue;
    const event = { type: e.eventType.type, data: e.data, time: e.time } as unknown as OrdersEvent;
    const id = event.data.orderId;
    docs.set(id, evolved(docs.get(id) ?? null, event));
  }
  return docs;
}

/** Throws unless the store's orders table holds exactly the rows of the in-memory fold. */
async function check(peer: EmmettPeer, expected: ReadonlyMap<string, OrderDoc>): Promise<void> {
  const pool = createPool(peer.connectionString, { applicationName: 'bench-emmett-check', max: 1 });
  try {
    const { rows } = await pool.query<Record<string, unknown>>(`SELECT * FROM ${ident(TABLE)}`);
    const wrong = rows.filter((row) => {
      const [actual, wanted] = [fromRow(row), expected.get(row.id as string)];
      return !wanted || KEYS.some((key) => actual[key] !== wanted[key]);
    });
    if (rows.length !== expected.size || wrong.length > 0) {
      throw new Error(
        `orders rows differ: ${rows.length} rows, ${expected.size} expected, ${wrong.length} wrong`,
      );
    }
  } finally {
    await pool.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = Number(process.argv[2] ?? 100_000);
  const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
  try {
    const history = [...demoHistory({ events, seed: 42 })];
    const handled = history.filter((e) => HANDLES.has(e.eventType.type)).length;
    const expected = expectedRows(history);
    const started = performance.now();
    const batchSize = env.config.BATCH_SIZE;
    const peer = await emmettPeer(env.config.DATABASE_URL, history, { batchSize });
    try {
      const loading = (performance.now() - started) / 1000;
      console.log(`loaded ${events} events into Emmett's store in ${loading.toFixed(1)} s (not timed)`);
      for (const path of ['rebuildPostgreSQLProjections', 'batch-puller'] as const) {
        const result = await peer.rebuild(path);
        if (result.events !== handled)
          throw new Error(`${path} handled ${result.events} of ${handled} events`);
        await check(peer, expected);
        console.log(
          `Emmett ${path} (orders, batch ${batchSize}): ${result.events} events handled of ${result.read} read in ${result.seconds.toFixed(2)} s = ${Math.round(result.eventsPerSecond)} events/s; ${expected.size} rows equal to the in-memory fold`,
        );
      }
    } finally {
      await peer.close();
    }
  } finally {
    await env.cleanup();
  }
}
