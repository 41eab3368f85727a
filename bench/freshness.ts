/**
 * Freshness under a steady write load: a publisher at a fixed rate (1k and 5k events/s of demo
 * history) while a probe publishes an order every 100 ms and asks the API for it with its
 * sequence (read-your-writes). Reports publish → answer-holding-the-write p50/p99/p99.9, split
 * into the API's wait for the projection (lag left when the request arrived) and the rest.
 * The projector, the API and the load publisher run as their own processes (a publisher on the
 * probe's event loop held each probe's publish and answer behind its bursts: at 5k/s that was
 * most of a p99 of 1.5 s). Usage: npx tsx bench/freshness.ts [seconds=15] [rates=1000,5000] [--cpu-prof=DIR]
 * (`--cpu-prof`: V8 profiles of the projector's and the API's whole lives in DIR/projector and
 * DIR/api, for bench/profile-areas.ts --skip).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import {
  eventually,
  freePort,
  type Installation,
  isolatedInstallation,
  publishMany,
  waitForLiveViews,
} from '../projectors/engine/internal.ts';
import { cpuSeconds, DatabaseCpu, elasticsearchJitSeconds, sampleCpu } from './support/cpu.ts';
import { type Probe, percentile, probeReadYourWrites } from './support/load.ts';

const mapValues = <K extends string>(record: Record<K, number>, f: (value: number) => number) =>
  Object.fromEntries(Object.entries<number>(record).map(([k, v]) => [k, f(v)])) as Record<K, number>;

/**
 * Starts bench/support/steady-publisher.ts; resolves once it publishes, with a promise of how
 * many events it published in the end and the CPU it took.
 */
async function steadyPublisher(
  rate: number,
  seconds: number,
  env: Record<string, string>,
): Promise<{ report: Promise<{ published: number; cpuSeconds: number }> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/support/steady-publisher.ts', String(rate), String(seconds), String(rate)],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const reported = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the steady publisher ended without a report');
    return JSON.parse(line.value) as { ready?: true; published: number; cpuSeconds: number };
  };
  await reported();
  return { report: reported() };
}

const { values: flags, positionals } = parseArgs({
  options: { 'cpu-prof': { type: 'string' } },
  allowPositionals: true,
});
const seconds = Number(positionals[0] ?? 15);
const RATES = (positionals[1] ?? '1000,5000').split(',').map(Number);
const profileDir = flags['cpu-prof'];
/**
 * Node's flags for V8 profiles of the process `name`, written to DIR/name when it exits: one per
 * thread (tsx's loader runs in one of its own), so the main thread's is the largest file.
 */
const profiled = (name: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${name}`] : []);

/** Transactions committed in the installation's database, and refreshes of its Elasticsearch indices. */
async function storeWork(env: Installation): Promise<{ commits: number; refreshes: number }> {
  const { pool, es } = env.infrastructure;
  const { rows } = await pool.query<{ commits: string }>(
    'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
  );
  const stats = await es.indices.stats({ index: `${env.env.VISTA_NAMESPACE}*`, metric: 'refresh' });
  return { commits: Number(rows[0]?.commits ?? 0), refreshes: stats._all.total?.refresh?.total ?? 0 };
}

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
const { nats, streams } = env.infrastructure;
await publishMany(nats.js, streams, demoHistory({ events: 20_000, seed: 5 }));
const projector = spawn(
  process.execPath,
  [...profiled('projector'), '--import', 'tsx', 'projectors/main.ts'],
  {
    env: { ...process.env, ...env.env },
    stdio: 'ignore',
  },
);
const port = await freePort();
const api = spawn(process.execPath, [...profiled('api'), '--import', 'tsx', 'api/main.ts'], {
  env: { ...process.env, ...env.env, PORT: String(port) },
  stdio: 'ignore',
});
try {
  await waitForLiveViews(env, 8, 300_000);
  await eventually(() =>
    fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  );
  console.log(
    '| publish rate | probes | total p50 / p99 / p99.9 ms | API wait p50 / p99 / p99.9 ms | publish ack p50 / p99 ms | rest of the request p50 / p99 ms | not met |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const usage: string[] = [];
  for (const rate of RATES) {
    const publisher = await steadyPublisher(rate, seconds, env.env);
    const deadline = Date.now() + seconds * 1000;
    const processes = { projector: projector.pid ?? 0, api: api.pid ?? 0 };
    // PostgreSQL as this installation's backends (every postgres process would count other
    // work on a shared machine, and lose what a backend that exits between samples used).
    const database = new DatabaseCpu(env.infrastructure.pool);
    const cpuBefore = {
      ...sampleCpu(),
      postgres: await database.sample(),
      elasticsearchJit: elasticsearchJitSeconds(),
      ...mapValues(processes, cpuSeconds),
    };
    const workBefore = await storeWork(env);
    const startedAt = performance.now();
    const probes: Probe[] = [];
    for (let probe = 0; Date.now() < deadline; probe++) {
      probes.push(
        await probeReadYourWrites(
          nats.js,
          streams,
          `http://127.0.0.1:${port}/graphql`,
          `probe-${rate}-${probe}`,
        ),
      );
      if (probe % 10 === 0) await database.sample();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cpuAfter = {
      ...sampleCpu(),
      postgres: await database.sample(),
      elasticsearchJit: elasticsearchJitSeconds(),
      ...mapValues(processes, cpuSeconds),
    };
    const workAfter = await storeWork(env);
    const elapsed = (performance.now() - startedAt) / 1000;
    const { published, cpuSeconds: publisherCpu } = await publisher.report;
    const busy = {
      ...mapValues(cpuAfter, () => 0),
      ...Object.fromEntries(
        (Object.keys(cpuAfter) as (keyof typeof cpuAfter)[]).map((k) => [
          k,
          (cpuAfter[k] - cpuBefore[k]) / elapsed,
        ]),
      ),
      // Its own figure covers the whole time it published, about `seconds`.
      publisher: publisherCpu / seconds,
    };
    // The processes by name: the sample also holds the probe's main thread and the whole
    // machine's busy time, which are parts or sums of these, not more of them.
    const columns = [
      busy.projector,
      busy.api,
      busy.publisher,
      busy.node,
      busy.postgres,
      busy.nats,
      busy.elasticsearch,
    ];
    const all = columns.reduce((sum, cores) => sum + cores, 0);
    // Elasticsearch's JIT compiler is part of its figure, shown beside it, not summed again.
    const cells = columns.map((c) => c.toFixed(2));
    cells[6] = `${cells[6]} (${busy.elasticsearchJit.toFixed(2)})`;
    const perSecond = (before: number, after: number) => Math.round((after - before) / elapsed);
    usage.push(
      `| ${rate}/s | ${[...cells, all.toFixed(2)].join(' | ')} | ${perSecond(workBefore.commits, workAfter.commits)} | ${perSecond(workBefore.refreshes, workAfter.refreshes)} |`,
    );
    const total = probes.map((p) => p.totalMs);
    const waited = probes.map((p) => p.waitedMs);
    const unmet = probes.filter((p) => !p.met).length;
    const acks = probes.map((p) => p.publishMs);
    // The request after the ack: HTTP both ways, the API's checks and query, less its wait.
    const rest = probes.map((p) => p.totalMs - p.publishMs - p.waitedMs);
    const f = (v: number) => v.toFixed(1);
    console.log(
      `| ${rate}/s (${Math.round(published / seconds)}/s achieved) | ${total.length} | ${f(percentile(total, 0.5))} / ${f(percentile(total, 0.99))} / ${f(percentile(total, 0.999))} | ${percentile(waited, 0.5)} / ${percentile(waited, 0.99)} / ${percentile(waited, 0.999)} | ${f(percentile(acks, 0.5))} / ${f(percentile(acks, 0.99))} | ${f(percentile(rest, 0.5))} / ${f(percentile(rest, 0.99))} | ${unmet} |`,
    );
  }
  console.log(
    "\nCores busy while probing (CPU-seconds per second; the probe is this process; PostgreSQL counts this installation's backends, nats-server and Elasticsearch whole, with its JIT compiler's share in brackets), and the stores' work:\n",
  );
  console.log(
    '| publish rate | projector | API | publisher | probe | PostgreSQL | nats-server | Elasticsearch | all | PostgreSQL commits/s | index refreshes/s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const line of usage) console.log(line);
} finally {
  api.kill('SIGTERM');
  projector.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await env.cleanup();
}
