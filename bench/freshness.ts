/**
 * Freshness under a steady write load: a publisher at a fixed rate (1k and 5k events/s of demo
 * history) while a probe publishes an order every 100 ms and asks the API for it with its
 * sequence (read-your-writes). Reports publish → answer-holding-the-write p50/p99/p99.9, split
 * into the API's wait for the projection (lag left when the request arrived) and the rest.
 * The projector and the API run as their own processes. Usage: npx tsx bench/freshness.ts [seconds=15]
 */
import { spawn } from 'node:child_process';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import {
  eventually,
  freePort,
  isolatedInstallation,
  publishMany,
  waitForLiveViews,
} from '../projectors/engine/internal.ts';
import { type Probe, percentile, probeReadYourWrites, publishAtRate } from './support/load.ts';

const seconds = Number(process.argv[2] ?? 15);
const RATES = [1000, 5000];

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
const { nats, streams } = env.infrastructure;
await publishMany(nats.js, streams, demoHistory({ events: 20_000, seed: 5 }));
const projector = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
  env: { ...process.env, ...env.env },
  stdio: 'ignore',
});
const port = await freePort();
const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
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
    '| publish rate | probes | total p50 / p99 / p99.9 ms | API wait p50 / p99 / p99.9 ms | rest p50 / p99 ms | not met |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const rate of RATES) {
    const deadline = Date.now() + seconds * 1000;
    const publisher = publishAtRate(
      nats.js,
      streams,
      demoHistory({ events: rate * seconds, seed: rate })[Symbol.iterator](),
      rate,
      deadline,
    );
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
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const total = probes.map((p) => p.totalMs);
    const waited = probes.map((p) => p.waitedMs);
    const unmet = probes.filter((p) => !p.met).length;
    const published = await publisher;
    const rest = total.map((t, i) => t - (waited[i] ?? 0));
    const f = (v: number) => v.toFixed(1);
    console.log(
      `| ${rate}/s (${Math.round(published / seconds)}/s achieved) | ${total.length} | ${f(percentile(total, 0.5))} / ${f(percentile(total, 0.99))} / ${f(percentile(total, 0.999))} | ${percentile(waited, 0.5)} / ${percentile(waited, 0.99)} / ${percentile(waited, 0.999)} | ${f(percentile(rest, 0.5))} / ${f(percentile(rest, 0.99))} | ${unmet} |`,
    );
  }
} finally {
  api.kill('SIGTERM');
  projector.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await env.cleanup();
}
