/**
 * API latency at fixed request rates: Vista's derived API beside PostGraphile 4 on the same
 * PostgreSQL views, for `orders(first: 20)`, `order(id)`, a filtered and sorted `orders` and
 * `dailySales(first: 20)`, and Vista alone for `searchProducts` (PostGraphile cannot read
 * Elasticsearch). For each query, a ladder of rates,
 * the contenders interleaved over several short rounds; p50/p99 per rate and the highest rate
 * whose p99 stays ≤ 25 ms. Then the same while a publisher ingests 2k events/s with the
 * projector as its own process; then the read-your-writes wait (publish → answer holding it).
 *
 * Why not autocannon's `-R` / `overallRate`: its rate mode gives each connection a budget of
 * rate/connections requests per wall-clock second, sent closed-loop (the next only after the
 * previous answer) at the start of each second, and whatever a slow second did not send is
 * dropped at the next tick, not queued: arrivals come in bursts and a stall thins the load
 * instead of showing up as latency. Its "correction" calls recordValueWithExpectedInterval
 * with ceil(1 / per-connection rate) = 1 ms whatever the rate, which back-fills synthetic
 * samples 1 ms apart below every slower response: neither the raw service time nor a
 * coordinated-omission-corrected latency. So the load here is open-loop (support/api-rate.ts):
 * request i is due at i / rate, latency counts from that due time, and a request that waits
 * for a busy connection or a late timer counts its wait.
 *
 * All processes (client, both servers, projector, PostgreSQL, NATS, Elasticsearch) share the
 * machine: both contenders pay for the client and for each other's idle processes alike.
 *
 * Usage: npx tsx bench/api-latency.ts [events=100000] [--seconds=5] [--rounds=3]
 *   [--rates=100,250,500,750,1000,1500,2000] [--ingest=2000] [--vista-only] [--cpu-prof=DIR] [--baseline=DIR]
 */
import { spawn } from 'node:child_process';
import type http from 'node:http';
import { parseArgs } from 'node:util';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { isolatedInstallation, publishMany, waitForLiveViews } from '../projectors/engine/internal.ts';
import {
  answering,
  benchQueries,
  type Contender,
  startPostGraphile,
  startVista,
} from './support/api-contenders.ts';
import { type LadderOptions, printLadder, runLadder, type Series } from './support/api-ladder.ts';
import { clientFor, runAtRate } from './support/api-rate.ts';
import { type Probe, percentile, probeReadYourWrites, publishAtRate } from './support/load.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    rates: { type: 'string', default: '100,250,500,750,1000,1500,2000' },
    ingest: { type: 'string', default: '2000' },
    'vista-only': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    baseline: { type: 'string' },
  },
});
const events = Number(positionals[0] ?? 100_000);
const ingestRate = Number(flags.ingest);
const ladder: LadderOptions = {
  rates: flags.rates.split(',').map(Number),
  seconds: Number(flags.seconds),
  rounds: Number(flags.rounds),
  ceilingMs: 25,
};
const PROBES = 200;
const WARM_UP = { rate: 300, seconds: 3 };

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
const { nats, streams } = env.infrastructure;
const history = [...demoHistory({ events, seed: 42 })];
await publishMany(nats.js, streams, history);
const projector = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
  env: { ...process.env, ...env.env },
  stdio: 'ignore',
});
const profile = flags['cpu-prof'];
const contenders: Contender[] = [
  await startVista(env.env, { nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] }),
];
// Another checkout's API (e.g. `git archive HEAD | tar -x -C DIR`, node_modules linked) as one
// more contender, interleaved like the others: a before/after on the same machine and minutes.
if (flags.baseline)
  contenders.push(await startVista(env.env, { name: 'Vista baseline', root: flags.baseline }));
const agents = new Map<Contender, http.Agent>();
try {
  await waitForLiveViews(env, 8, 600_000);
  // PostGraphile introspects at start: it starts once the views exist.
  if (!flags['vista-only']) contenders.push(await startPostGraphile(env.config.DATABASE_URL));
  const { rows: first } = await env.infrastructure.pool.query<{ id: string }>(
    'SELECT id FROM orders ORDER BY id LIMIT 1',
  );
  const orderId = first[0]?.id ?? '';
  const queries = benchQueries(orderId);
  const series: Series[] = [];
  for (const query of queries) {
    for (const contender of contenders) {
      const body = query.bodies[contender.dialect];
      if (body === undefined) continue;
      await answering({ url: contender.url, body });
      const agent = agents.get(contender) ?? clientFor();
      agents.set(contender, agent);
      // JIT, plan caches, pools and keep-alive connections, before anything is measured.
      await runAtRate({ url: contender.url, body }, agent, WARM_UP.rate, WARM_UP.seconds);
      series.push({ query, contender, agent });
    }
  }
  const names = contenders.map((c) => c.name);
  const setting = `${events.toLocaleString('en')} events of history, ${ladder.seconds} s per rate, ${ladder.rounds} interleaved rounds, open-loop`;

  printLadder(
    `API at fixed rates, views at rest (${setting}):`,
    await runLadder(series, ladder),
    names,
    ladder,
  );

  // Enough history for every run of the ladder (the generator sizes its catalogue by it).
  const budget = ingestRate * ladder.seconds * series.length * ladder.rates.length * ladder.rounds;
  const ingest = demoHistory({ events: budget, seed: 7 })[Symbol.iterator]();
  const loaded = await runLadder(series, {
    ...ladder,
    background: (deadline) => publishAtRate(nats.js, streams, ingest, ingestRate, deadline),
  });
  const lastRun = performance.now();
  await waitForLiveViews(env, 8, 600_000);
  printLadder(
    `API at fixed rates during a ${ingestRate.toLocaleString('en')} events/s ingest (${Math.round(loaded.backgroundRate).toLocaleString('en')}/s achieved; projector caught up ${((performance.now() - lastRun) / 1000).toFixed(1)} s after the last run) (${setting}):`,
    loaded,
    names,
    ladder,
  );

  const vista = contenders[0]?.url ?? '';
  const probes: Probe[] = [];
  for (let i = 0; i < PROBES; i++) {
    probes.push(await probeReadYourWrites(nats.js, streams, vista, `bench-ryw-${i}`));
  }
  const total = probes.map((p) => p.totalMs);
  const waited = probes.map((p) => p.waitedMs);
  console.log(
    `read-your-writes over ${PROBES} sequential writes: publish→visible answer p50 ${percentile(total, 0.5).toFixed(1)} ms, p99 ${percentile(total, 0.99).toFixed(1)} ms; API wait p50 ${percentile(waited, 0.5)} ms, p99 ${percentile(waited, 0.99)} ms; not met: ${probes.filter((p) => !p.met).length}`,
  );
} finally {
  for (const agent of agents.values()) agent.destroy();
  await Promise.all(contenders.map((c) => c.stop()));
  projector.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await env.cleanup();
}
