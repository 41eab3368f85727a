/**
 * The contenders of bench/run.ts, each a function that processes the same published history
 * and reports how many events it handled. Raw stages use the clients directly, in a few
 * lines each: they are the limits the engine is measured against.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { shop } from '../examples/shop/contract.ts';
import shopApp from '../examples/shop/index.ts';
import { type OrderDoc, orders } from '../examples/shop/views/orders.ts';
import { products } from '../examples/shop/views/products.ts';
import {
  type AnyEvent,
  decodeEvent,
  type EngineDeps,
  foldBatch,
  generationRunner,
  readOrdered,
  type Source,
  type Stored,
  snakeCase,
} from '../projectors/engine/internal.ts';
import { ident, inTransaction } from '../shared/clients/postgres.ts';

export type Heads = Record<string, number>;

const ORDER_COLUMNS = [
  ['customer_id', 'text'],
  ['total_cents', 'bigint'],
  ['line_count', 'integer'],
  ['captured_cents', 'bigint'],
  ['refunded_cents', 'bigint'],
  ['paid_cents', 'bigint'],
  ['status', 'text'],
  ['placed_at', 'timestamptz'],
  ['shipped_at', 'timestamptz'],
  ['cancelled_at', 'timestamptz'],
] as const;
const ORDER_KEYS: (keyof OrderDoc)[] = [
  'customerId',
  'totalCents',
  'lineCount',
  'capturedCents',
  'refundedCents',
  'paidCents',
  'status',
  'placedAt',
  'shippedAt',
  'cancelledAt',
];

/**
 * A scratch table shaped like the engine's orders table, with the same primary key and the
 * same secondary indexes (the API's orderings need them, so the engine maintains them on every
 * write; a limit without them would not be the same work), and one unnest upsert per batch.
 */
async function orderTable(deps: EngineDeps, name: string) {
  const table = ident(name);
  await deps.pool.query(`DROP TABLE IF EXISTS ${table}`);
  await deps.pool.query(
    `CREATE TABLE ${table} (id text PRIMARY KEY, ${ORDER_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})`,
  );
  for (const keys of orders.target.kind === 'postgres' ? (orders.target.indexes ?? []) : []) {
    const columns = [...keys.map(snakeCase), 'id'];
    await deps.pool.query(
      `CREATE INDEX ${ident(`${name}__${columns.join('_')}`)} ON ${table} (${columns.map(ident).join(', ')})`,
    );
  }
  const sql = `INSERT INTO ${table} (id, ${ORDER_COLUMNS.map(([c]) => c).join(', ')})
    SELECT * FROM unnest($1::text[], ${ORDER_COLUMNS.map(([, t], i) => `$${i + 2}::${t}[]`).join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${ORDER_COLUMNS.map(([c]) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  return {
    upsert: (rows: readonly [string, OrderDoc][]) =>
      inTransaction(deps.pool, (tx) =>
        tx.query(sql, [rows.map(([id]) => id), ...ORDER_KEYS.map((k) => rows.map(([, doc]) => doc[k]))]),
      ),
    drop: () => deps.pool.query(`DROP TABLE IF EXISTS ${table}`),
  };
}

/** A scratch-table row back into the document it was written from. */
function rowToDoc(row: Record<string, unknown>): OrderDoc {
  const doc: Record<string, unknown> = {};
  ORDER_COLUMNS.forEach(([column], i) => {
    const value = row[column];
    doc[ORDER_KEYS[i] as string] = value instanceof Date ? value.toISOString() : value;
  });
  return doc as unknown as OrderDoc;
}

/** Reads every message of the sources once, from sequence 1, until each is at its head. */
async function drain(
  deps: EngineDeps,
  sources: readonly Source[],
  heads: Heads,
  onMessage: (payload: Uint8Array, stream: string, sequence: number) => void | Promise<void>,
) {
  let count = 0;
  await Promise.all(
    sources.map(async (source) => {
      const stop = new AbortController();
      for await (const messages of readOrdered(deps.nats, deps.streams, source, 0, stop.signal, {
        budget: deps.pullBudget,
      })) {
        for (const m of messages) {
          await onMessage(m.payload, m.stream, m.sequence);
          count++;
          if (m.sequence >= (heads[source.stream] ?? 0)) stop.abort();
        }
      }
    }),
  );
  return count;
}

/** (A) JetStream consumption with the engine's consumer settings and no work at all. */
export function rawJetStream(deps: EngineDeps, heads: Heads): Promise<number> {
  return drain(deps, orders.sources, heads, () => undefined);
}

/** The rows the engine writes for orders: the history cut into its batches, each folded. */
export function engineBatches(history: readonly AnyEvent[], batchSize: number): [string, OrderDoc][][] {
  const docs = new Map<string, Stored<OrderDoc>>();
  const batches: [string, OrderDoc][][] = [];
  const erased = orders as unknown as Parameters<typeof foldBatch<OrderDoc, never>>[0];
  const handled = new Set<string>(orders.handles);
  const relevant = history.filter((e) => handled.has(e.type));
  for (let i = 0; i < relevant.length; i += batchSize) {
    const folded = foldBatch(erased, relevant.slice(i, i + batchSize), { docs, lookups: new Map() });
    for (const [key, stored] of folded.docs) docs.set(key, stored);
    batches.push([...folded.docs].map(([key, stored]) => [key, stored.doc as OrderDoc]));
  }
  return batches;
}

/** (B) The same rows upserted set-based, one transaction per batch, nothing else. */
export async function rawPostgres(
  deps: EngineDeps,
  batches: readonly [string, OrderDoc][][],
  events: number,
): Promise<number> {
  const table = await orderTable(deps, 'bench_raw_orders');
  for (const batch of batches) await table.upsert(batch);
  await table.drop();
  return events;
}

/** The products documents of each engine batch, as `_bulk` operations for `index`. */
export function productBulks(history: readonly AnyEvent[], batchSize: number, index: string): object[][] {
  const handled = new Set<string>(products.handles);
  const relevant = history.filter((e) => handled.has(e.type));
  const docs = new Map<string, Stored<object>>();
  const lookups = new Map<string, unknown>();
  const erased = products as unknown as Parameters<typeof foldBatch<object, unknown>>[0];
  const batches: object[][] = [];
  for (let i = 0; i < relevant.length; i += batchSize) {
    const folded = foldBatch(erased, relevant.slice(i, i + batchSize), { docs, lookups });
    for (const [key, stored] of folded.docs) docs.set(key, stored);
    for (const [key, record] of folded.lookups) lookups.set(key, record);
    batches.push(
      [...folded.docs].flatMap(([id, s]) => [{ index: { _index: index, _id: id } }, s.doc as object]),
    );
  }
  return batches;
}

/** (C) Those documents written with one plain `_bulk` per batch, nothing else. */
export async function rawBulk(
  deps: EngineDeps,
  index: string,
  batches: readonly object[][],
  events: number,
): Promise<number> {
  await deps.es.indices.delete({ index, ignore_unavailable: true });
  await deps.es.indices.create({
    index,
    settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '-1' },
  });
  // The least a writer must read of the answer: whether any item failed.
  for (const operations of batches) {
    const { errors } = await deps.es.bulk({ operations, filter_path: 'errors' });
    if (errors) throw new Error(`raw _bulk into ${index}: items failed`);
  }
  await deps.es.indices.delete({ index });
  return events;
}

/** (D) A raw pipeline in a few dozen lines: consume → parse → fold in memory → batched upsert. */
export async function rawPipeline(deps: EngineDeps, heads: Heads, batchSize: number): Promise<number> {
  const table = await orderTable(deps, 'bench_raw_pipeline');
  const state = new Map<string, OrderDoc>();
  let touched = new Map<string, OrderDoc>();
  // Both streams' readers flush; one transaction at a time, as the engine does.
  let writing: Promise<unknown> = Promise.resolve();
  const flush = () => {
    const rows = [...touched];
    touched = new Map();
    writing = writing.then(() => (rows.length > 0 ? table.upsert(rows) : undefined));
    return writing;
  };
  const count = await drain(deps, orders.sources, heads, async (payload) => {
    const e = JSON.parse(Buffer.from(payload).toString('utf8'));
    const doc = orders.evolve(state.get(e.data.orderId) ?? null, e, e.data.orderId, null) as OrderDoc;
    state.set(e.data.orderId, doc);
    touched.set(e.data.orderId, doc);
    if (touched.size >= batchSize) await flush();
  });
  await flush();
  await table.drop();
  return count;
}

/** (E) The engine itself: one projection from sequence 1 into a fresh generation, until caught up. */
export async function engine(
  deps: EngineDeps,
  name: string,
  heads: Heads,
  generation: number,
): Promise<number> {
  const projection = shopApp.projections.find((p) => p.name === name);
  if (!projection) throw new Error(`no projection ${name}`);
  const { runner, storage } = generationRunner(projection, generation, deps, { role: 'building' });
  const stop = new AbortController();
  const running = runner.run(stop.signal);
  const total = projection.sources.reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
  while (projection.sources.reduce((sum, s) => sum + (runner.progress.positions[s.stream] ?? 0), 0) < total) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  stop.abort();
  await running;
  await storage.drop();
  await deps.pool.query('DELETE FROM vista_checkpoints WHERE projection = $1 AND generation = $2', [
    name,
    generation,
  ]);
  return total;
}

/** The floor: a durable consumer, and per event one transaction (load, upsert, checkpoint) and one ack. */
export async function naive(deps: EngineDeps, limit: number): Promise<number> {
  const table = await orderTable(deps, 'bench_naive');
  await deps.pool.query(
    'CREATE TABLE IF NOT EXISTS bench_naive_checkpoint (stream text PRIMARY KEY, position bigint)',
  );
  const stream = deps.streams.streamName('ORDERS');
  const name = 'bench_naive';
  await deps.jsm.consumers.delete(stream, name).catch(() => undefined);
  await deps.jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
  });
  const consumer = await deps.js.consumers.get(stream, name);
  const messages = await consumer.consume({ max_messages: 100 });
  let count = 0;
  for await (const m of messages) {
    const event = decodeEvent(
      {
        stream: 'ORDERS',
        sequence: m.seq,
        subject: m.subject,
        payload: m.data,
        ...(m.headers ? { headers: m.headers } : {}),
        receivedAt: m.info.timestampNanos / 1e6,
      },
      shop,
      deps.streams,
    );
    const orderId = (event.data as { orderId: string }).orderId;
    await inTransaction(deps.pool, async (tx) => {
      const { rows } = await tx.query('SELECT * FROM bench_naive WHERE id = $1', [orderId]);
      const doc = orders.evolve(
        rows[0] ? rowToDoc(rows[0]) : null,
        event as never,
        orderId,
        null,
      ) as OrderDoc;
      await tx.query(
        `INSERT INTO bench_naive (id, ${ORDER_COLUMNS.map(([c]) => c).join(', ')}) VALUES ($1, ${ORDER_KEYS.map((_, i) => `$${i + 2}`).join(', ')})
         ON CONFLICT (id) DO UPDATE SET ${ORDER_COLUMNS.map(([c]) => `${c} = EXCLUDED.${c}`).join(', ')}`,
        [orderId, ...ORDER_KEYS.map((k) => doc[k])],
      );
      await tx.query(
        `INSERT INTO bench_naive_checkpoint VALUES ('ORDERS', $1) ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position`,
        [m.seq],
      );
    });
    m.ack();
    if (++count >= limit) break;
  }
  await messages.close();
  await deps.jsm.consumers.delete(stream, name).catch(() => undefined);
  await table.drop();
  await deps.pool.query('DROP TABLE IF EXISTS bench_naive_checkpoint');
  return count;
}
