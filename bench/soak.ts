/**
 * Memory over a soak: the projector and the API as their own processes, a publisher at a fixed
 * rate and a steady query load, RSS of both (and the projector's V8 heap) sampled every second.
 * Prints maximum, growth from the first to the last minute, and the least-squares slope.
 * Usage: npx tsx bench/soak.ts [minutes=10] [events/s=1000] [queries/s=50]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, freePort, isolatedInstallation } from '../projectors/engine/internal.ts';
import { publishAtRate } from './support/load.ts';

const minutes = Number(process.argv[2] ?? 10);
const rate = Number(process.argv[3] ?? 1000);
const queryRate = Number(process.argv[4] ?? 50);

/** A child's resident set in MB; NaN once it is gone (the summary then shows it). */
const rssMb = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
};

function summary(name: string, values: readonly number[]) {
  const n = values.length;
  const perMinute = 60;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const first = mean(values.slice(0, perMinute));
  const last = mean(values.slice(-perMinute));
  const xMean = (n - 1) / 2;
  const yMean = mean(values);
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - xMean) * (y - yMean);
    den += (x - xMean) ** 2;
  });
  const slopePerMinute = den ? (num / den) * 60 : 0;
  const growth = (from: number) => `${(((last - from) / from) * 100).toFixed(1)}%`;
  // Issue 23's criterion: growth after warm-up, from the 5th minute (when the soak is long enough).
  const fifth = n >= 10 * perMinute ? mean(values.slice(4 * perMinute, 5 * perMinute)) : undefined;
  const afterWarmUp =
    fifth === undefined ? '' : `, 5th minute ${fifth.toFixed(0)} MB → last ${growth(fifth)}`;
  return `${name}: max ${Math.max(...values).toFixed(0)} MB, first minute ${first.toFixed(0)} MB, last minute ${last.toFixed(0)} MB (${growth(first)})${afterWarmUp}, slope ${slopePerMinute.toFixed(2)} MB/min`;
}

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
const metricsPort = await freePort();
const apiPort = await freePort();
const projector = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
  env: { ...process.env, ...env.env, METRICS_PORT: String(metricsPort) },
  stdio: ['ignore', 'ignore', 'inherit'], // a child that dies says why
});
const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
  env: { ...process.env, ...env.env, PORT: String(apiPort) },
  stdio: ['ignore', 'ignore', 'inherit'], // a child that dies says why
});
try {
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${apiPort}/readyz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    120_000,
  );
  const { nats, streams } = env.infrastructure;
  const events = demoHistory({ events: rate * minutes * 60 + 10_000, seed: 77 })[Symbol.iterator]();
  const deadline = Date.now() + minutes * 60_000;
  const rss = {
    projector: [] as number[],
    api: [] as number[],
    heap: [] as number[],
    heapTotal: [] as number[],
    external: [] as number[],
  };
  let queries = 0;
  let failedQueries = 0;
  const sampler = setInterval(async () => {
    rss.projector.push(rssMb(projector.pid as number));
    rss.api.push(rssMb(api.pid as number));
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const megabytes = (metric: string, into: number[]) => {
      const bytes = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(metrics)?.[1];
      if (bytes) into.push(Number(bytes) / 1024 / 1024);
    };
    megabytes('vista_process_heap_used_bytes', rss.heap);
    // Where RSS outside the used heap may sit: the heap V8 reserved, and memory outside it
    // (Buffers and ArrayBuffers of the clients).
    megabytes('nodejs_heap_size_total_bytes', rss.heapTotal);
    megabytes('nodejs_external_memory_bytes', rss.external);
  }, 1000);
  const QUERIES = [
    '{ orders(first: 20) { edges { node { id status customer { orderCount } } } } }',
    '{ searchProducts(query: "kettle", first: 10) { edges { node { name } } } }',
    '{ projections { name status positions { lag } } }',
  ];
  const querying = (async () => {
    while (Date.now() < deadline) {
      const response = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERIES[queries % QUERIES.length] }),
      }).catch(() => undefined);
      queries++;
      if (!response?.ok) failedQueries++;
      else await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 1000 / queryRate));
    }
  })();
  const published = await publishAtRate(nats.js, streams, events, rate, deadline);
  await querying;
  clearInterval(sampler);
  console.log(
    `soak: ${minutes} min, ${published} events (${Math.round(published / (minutes * 60))}/s), ${queries} queries (${failedQueries} failed)`,
  );
  console.log(summary('projector RSS', rss.projector));
  console.log(summary('projector heap used', rss.heap));
  console.log(summary('projector heap total', rss.heapTotal));
  console.log(summary('projector external', rss.external));
  console.log(summary('API RSS', rss.api));
} finally {
  api.kill('SIGTERM');
  projector.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await env.cleanup();
}
