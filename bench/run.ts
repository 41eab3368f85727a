/**
 * `npm run bench`: the engine beside its physical limits, measured in one run on the same
 * seeded data, contenders interleaved over several repetitions (medians with min–max), with
 * CPU-seconds per 1k events summed over Node, PostgreSQL, nats-server and Elasticsearch, the cores
 * each contender kept busy (those CPU-seconds over its wall time), and the engine's CPU per event
 * beside the raw stages' it is made of (A+B for the PostgreSQL views, A+C for products). CPU per
 * event holds on a loaded machine; events/s does not: the load average is printed beside them.
 * Results go to bench/results/<date>.json and bench/results/latest.md.
 * Usage: npm run bench -- [events=100000] [repetitions=5] [--no-peers] [--reader-thread]
 * (`--no-peers` leaves out the naive floor and Emmett, which take minutes: for CPU figures;
 * `--reader-thread` adds the engine's contenders again with READER_THREAD, side by side.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { shop } from '../examples/shop/contract.ts';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import {
  type AnyEvent,
  decodeEvent,
  engineDeps,
  isolatedInstallation,
  type OutgoingEvent,
  publishMany,
  readerThreadFor,
  type Streams,
  toEnvelope,
} from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { emmettPeer } from './emmett.ts';
import {
  engine,
  engineBatches,
  naive,
  productBulks,
  rawBulk,
  rawJetStream,
  rawPipeline,
  rawPostgres,
} from './stages.ts';
import { cpuBetween, loadAverage, ownBackends, sampleCpu } from './support/cpu.ts';
import { formatRate, type Spread, spread } from './support/stats.ts';

const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const peers = !process.argv.includes('--no-peers');
const withReaderThread = process.argv.includes('--reader-thread');
const events = Number(args[0] ?? 100_000);
const repetitions = Number(args[1] ?? 5);
const NAIVE_EVENTS = 3000;
const EMMETT = 'peer: Emmett 0.42 rebuildPostgreSQLProjections (orders)';
const EMMETT_BATCHED = 'peer: Emmett 0.42 parts, batch-fed (orders)';

/** Decoded in publish order, as the engine's batches would see them (for the raw stages' rows). */
function decoded(history: readonly OutgoingEvent[], streams: Streams): AnyEvent[] {
  const sequence: Record<string, number> = {};
  return history.map((e) => {
    const stream = e.eventType.stream;
    sequence[stream] = (sequence[stream] ?? 0) + 1;
    const envelope = toEnvelope(e);
    const payload = new TextEncoder().encode(JSON.stringify(envelope));
    const subject = streams.subjectOf(envelope.type, envelope.subject);
    const message = { stream, sequence: sequence[stream] as number, subject, payload, receivedAt: 0 };
    return decodeEvent(message, shop, streams);
  });
}

interface Measurement {
  eventsPerSecond: number;
  cpuPer1k: number;
  /** CPU-seconds of Node and the services over the run's wall time. */
  coresBusy: number;
  /** Node's own share of `coresBusy`. */
  nodeCores: number;
  cpu: Record<string, number>;
}

/** The engine's contenders again, reading on the reader thread (`--reader-thread`). */
const THREAD = 'E, reader thread: ';
const loadBefore = loadAverage();
const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
try {
  const deps = engineDeps(env.config, env.infrastructure, env.log);
  const batchSize = env.config.BATCH_SIZE;
  const bulkIndex = `${deps.streams.namespace}-bench-raw-products`;
  // The history is published and turned into the raw stages' rows and bulks, then let go: D and
  // E run in this process, and every major GC of theirs marks whatever the harness keeps alive,
  // which a projector process does not carry (the harness kept 117 MB after a GC, now 53; 61 MB
  // kept beside `orders` cost it 4-8% more CPU per event: bench/README.md). Emmett's peer is
  // given the same seeded history afresh.
  const { orderRows, bulks } = await (async () => {
    const history = [...demoHistory({ events, seed: 42 })];
    await publishMany(deps.js, deps.streams, history);
    const all = decoded(history, deps.streams);
    return { orderRows: engineBatches(all, batchSize), bulks: productBulks(all, batchSize, bulkIndex) };
  })();
  const heads = await streamHeads(deps.jsm, deps.streams);
  const ordersEvents = (heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0);
  const productEvents = (heads.CATALOG ?? 0) + (heads.ORDERS ?? 0);

  const readers = withReaderThread
    ? readerThreadFor({ ...env.config, READER_THREAD: true }, env.log)
    : undefined;
  const threadDeps = readers && engineDeps(env.config, env.infrastructure, env.log, readers);
  // Each engine run builds a fresh generation of its own.
  const version = () => 1000 + Math.floor(Math.random() * 1e6);
  const stages: Record<string, () => Promise<number>> = {
    'A raw JetStream (ORDERS+PAYMENTS)': () => rawJetStream(deps, heads),
    'B raw PostgreSQL upsert (orders rows)': () => rawPostgres(deps, orderRows, ordersEvents),
    'C raw Elasticsearch _bulk (products docs)': () => rawBulk(deps, bulkIndex, bulks, productEvents),
    'D raw pipeline (orders)': () => rawPipeline(deps, heads, batchSize),
    'E engine orders': () => engine(deps, 'orders', heads, version()),
    'E engine customer_stats': () => engine(deps, 'customer_stats', heads, version()),
    'E engine products': () => engine(deps, 'products', heads, version()),
    ...(threadDeps
      ? {
          [`${THREAD}orders`]: () => engine(threadDeps, 'orders', heads, version()),
          [`${THREAD}customer_stats`]: () => engine(threadDeps, 'customer_stats', heads, version()),
          [`${THREAD}products`]: () => engine(threadDeps, 'products', heads, version()),
        }
      : {}),
  };
  const results: Record<string, Measurement[]> = {};
  const measure = async (name: string, run: () => Promise<number>) => {
    const backends = await ownBackends(deps.pool);
    const before = sampleCpu(backends);
    const started = performance.now();
    const handled = await run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuBetween(before, sampleCpu([...new Set([...backends, ...(await ownBackends(deps.pool))])]));
    const total = cpu.node + cpu.postgres + cpu.nats + cpu.elasticsearch;
    const list = results[name] ?? [];
    results[name] = list;
    list.push({
      eventsPerSecond: handled / seconds,
      cpuPer1k: (total / handled) * 1000,
      coresBusy: total / seconds,
      nodeCores: cpu.node / seconds,
      cpu: { ...cpu },
    });
    process.stderr.write(
      `  ${name}: ${Math.round(handled / seconds)} events/s, ${(total / seconds).toFixed(2)} cores busy (load ${loadAverage()})\n`,
    );
  };
  for (let rep = 1; rep <= repetitions; rep++) {
    process.stderr.write(`repetition ${rep}/${repetitions}\n`);
    // Interleaved, in a rotating order, so drift on a noisy machine spreads over every contender.
    const names = Object.keys(stages);
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + rep) % names.length] as string;
      await measure(name, stages[name] as () => Promise<number>);
    }
  }
  if (peers) {
    await measure('floor: naive consumer (orders, per-event tx + ack)', () => naive(deps, NAIVE_EVENTS));
    // The peer runs once, after the repetitions, like the floor: its idiomatic rebuild takes
    // minutes per 100k events, and loading its own event store (not timed) longer still.
    process.stderr.write("loading the same history into Emmett's event store (not timed)\n");
    const emmett = await emmettPeer(env.config.DATABASE_URL, [...demoHistory({ events, seed: 42 })], {
      batchSize,
    });
    try {
      await measure(EMMETT, async () => (await emmett.rebuild()).events);
      await measure(EMMETT_BATCHED, async () => (await emmett.rebuild('batch-puller')).events);
    } finally {
      await emmett.close();
    }
  }

  const rate = (name: string): Spread => spread((results[name] ?? []).map((m) => m.eventsPerSecond));
  const cpu = (name: string): Spread => spread((results[name] ?? []).map((m) => m.cpuPer1k));
  const cores = (name: string, of: 'coresBusy' | 'nodeCores'): number =>
    spread((results[name] ?? []).map((m) => m[of])).median;
  const m = (name: string) => rate(name).median;
  const c = (name: string) => cpu(name).median;
  const A = 'A raw JetStream (ORDERS+PAYMENTS)';
  const B = 'B raw PostgreSQL upsert (orders rows)';
  const C = 'C raw Elasticsearch _bulk (products docs)';
  // CPU per event of the engine over the raw stages it stands on (A's per-event cost stands for
  // reading CATALOG+ORDERS too: a JetStream message costs about the same whatever its stream).
  const cpuRatios = {
    'orders E CPU / (A+B)': c('E engine orders') / (c(A) + c(B)),
    'customer_stats E CPU / (A+B)': c('E engine customer_stats') / (c(A) + c(B)),
    'products E CPU / (A+C)': c('E engine products') / (c(A) + c(C)),
    'orders E CPU / D': c('E engine orders') / c('D raw pipeline (orders)'),
  };
  const ratios = {
    'orders E/D': m('E engine orders') / m('D raw pipeline (orders)'),
    'orders E/min(A,B)':
      m('E engine orders') /
      Math.min(m('A raw JetStream (ORDERS+PAYMENTS)'), m('B raw PostgreSQL upsert (orders rows)')),
    'customer_stats E/D': m('E engine customer_stats') / m('D raw pipeline (orders)'),
    'customer_stats E/min(A,B)':
      m('E engine customer_stats') /
      Math.min(m('A raw JetStream (ORDERS+PAYMENTS)'), m('B raw PostgreSQL upsert (orders rows)')),
    'products E/C': m('E engine products') / m('C raw Elasticsearch _bulk (products docs)'),
    ...(threadDeps
      ? {
          'orders E (reader thread)/min(A,B)': m(`${THREAD}orders`) / Math.min(m(A), m(B)),
          'customer_stats E (reader thread)/min(A,B)': m(`${THREAD}customer_stats`) / Math.min(m(A), m(B)),
          'products E (reader thread)/C': m(`${THREAD}products`) / m(C),
        }
      : {}),
    ...(peers
      ? {
          'orders E/naive': m('E engine orders') / m('floor: naive consumer (orders, per-event tx + ack)'),
          'orders E/Emmett rebuild': m('E engine orders') / m(EMMETT),
          'orders E/Emmett batch-fed': m('E engine orders') / m(EMMETT_BATCHED),
        }
      : {}),
  };
  const lines = [
    `Vista benchmark, ${new Date().toISOString()}: ${events.toLocaleString('en')} demo events (seed 42), batch ${batchSize}, ${repetitions} interleaved repetitions, 2 cores shared by Node, PostgreSQL, nats-server and Elasticsearch.`,
    '',
    `Load average (1 min) ${loadBefore} before the run, ${loadAverage()} after it.`,
    '',
    '| contender | events/s, median (min–max) | CPU-s per 1k events, median | cores busy (Node), median |',
    '|---|---|---|---|',
    ...Object.keys(results).map(
      (name) =>
        `| ${name} | ${formatRate(rate(name))} | ${cpu(name).median.toFixed(3)} | ${cores(name, 'coresBusy').toFixed(2)} (${cores(name, 'nodeCores').toFixed(2)}) |`,
    ),
    '',
    '| ratio | value |',
    '|---|---|',
    ...Object.entries(ratios).map(([name, value]) => `| ${name} | ${value.toFixed(2)} |`),
    ...Object.entries(cpuRatios).map(([name, value]) => `| ${name} | ${value.toFixed(2)} |`),
  ];
  console.log(lines.join('\n'));
  mkdirSync('bench/results', { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  // A run without the peers is no full benchmark: it does not replace latest.md.
  const suffix = peers ? '' : '-no-peers';
  writeFileSync(
    `bench/results/${date}${suffix}.json`,
    `${JSON.stringify({ events, repetitions, batchSize, loadBefore, results, ratios, cpuRatios }, null, 2)}\n`,
  );
  writeFileSync(`bench/results/latest${suffix}.md`, `${lines.join('\n')}\n`);
  await readers?.close();
} finally {
  await env.cleanup();
}
