/**
 * API latency: autocannon at a fixed concurrency against an API process over a demo dataset,
 * for orders(first: 20), order(id) and searchProducts; then the read-your-writes wait, from
 * publish to an answer that holds the write. Usage: npx tsx bench/api-latency.ts [events=100000]
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { demoHistory } from '../projectors/demo/history.ts';
import { publishMany } from '../projectors/demo/publish-many.ts';
import { ProjectionHost } from '../projectors/engine/host.ts';
import { LeaseManager } from '../projectors/engine/lease.ts';
import { runnerDeps } from '../projectors/infrastructure.ts';
import { PROJECTIONS } from '../projectors/registry.ts';
import { eventually, testEnvironment } from '../test/support/environment.ts';
import { expectedOrders } from '../test/support/model.ts';
import { waitForLiveViews } from '../test/support/read-views.ts';
import { freePort } from '../test/support/services.ts';
import { type Probe, percentile, probeReadYourWrites } from './support/load.ts';

const events = Number(process.argv[2] ?? 100_000);
const CONNECTIONS = 20;
const SECONDS = 10;

const env = await testEnvironment({ LOG_LEVEL: 'warn' });
const stop = new AbortController();
const history = [...demoHistory({ events, seed: 42 })];
await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
const running = new ProjectionHost(
  PROJECTIONS,
  runnerDeps(env.config, env.infrastructure, env.log),
  new LeaseManager(env.config.DATABASE_URL, env.log),
).run(stop.signal);
const port = await freePort();
const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
  env: { ...process.env, ...env.env, PORT: String(port), LOG_LEVEL: 'warn' },
  stdio: 'ignore',
});
try {
  await waitForLiveViews(env, 8, 600_000);
  const url = `http://127.0.0.1:${port}/graphql`;
  await eventually(() =>
    fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  );
  const orderId = [...expectedOrders(history).keys()][0];
  const queries = {
    'orders(first: 20)':
      '{ orders(first: 20) { edges { node { id status totalCents paidCents placedAt } } } }',
    'order(id)': `{ order(id: "${orderId}") { id status totalCents paidCents placedAt } }`,
    searchProducts:
      '{ searchProducts(query: "wireless kettle", first: 20) { edges { node { id name priceCents } } } }',
  };
  console.log(
    `API over ${events.toLocaleString('en')} events, ${CONNECTIONS} connections, ${SECONDS} s each (autocannon):`,
  );
  console.log('| query | p50 ms | p99 ms | requests/s | non-2xx |');
  console.log('|---|---|---|---|---|');
  for (const [name, query] of Object.entries(queries)) {
    const result = await autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      connections: CONNECTIONS,
      duration: SECONDS,
    });
    console.log(
      `| ${name} | ${result.latency.p50} | ${result.latency.p99} | ${Math.round(result.requests.average)} | ${result.non2xx} |`,
    );
  }

  const probes: Probe[] = [];
  for (let i = 0; i < 200; i++) {
    probes.push(
      await probeReadYourWrites(
        env.infrastructure.nats.js,
        env.infrastructure.streams,
        url,
        `bench-ryw-${i}`,
      ),
    );
  }
  const total = probes.map((p) => p.totalMs);
  const waited = probes.map((p) => p.waitedMs);
  const unmet = probes.filter((p) => !p.met).length;
  console.log(
    `read-your-writes over 200 sequential writes: publish→visible answer p50 ${percentile(total, 0.5).toFixed(1)} ms, p99 ${percentile(total, 0.99).toFixed(1)} ms; API wait p50 ${percentile(waited, 0.5)} ms, p99 ${percentile(waited, 0.99)} ms; not met: ${unmet}`,
  );
} finally {
  api.kill('SIGTERM');
  stop.abort();
  await running;
  await env.cleanup();
}
