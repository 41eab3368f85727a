/**
 * Freshness under a steady write load: a publisher at a fixed rate (1k and 5k events/s of demo
 * history) while a probe publishes an order every 100 ms and asks the API for it with its
 * sequence (read-your-writes). Reports publish → answer-holding-the-write p50/p99/p99.9, split
 * into the API's wait for the projection (lag left when the request arrived) and the rest.
 * The projector and the API run as their own processes. Usage: npx tsx bench/freshness.ts [seconds=15]
 */
import { spawn } from 'node:child_process';
import { demoHistory } from '../projectors/demo/history.ts';
import { publishMany } from '../projectors/demo/publish-many.ts';
import { OrderPlaced } from '../shared/events/orders.ts';
import { type OutgoingEvent, publishEvent } from '../shared/events/publish.ts';
import { eventually, testEnvironment } from '../test/support/environment.ts';
import { waitForLiveViews } from '../test/support/read-views.ts';
import { freePort } from '../test/support/services.ts';

const seconds = Number(process.argv[2] ?? 15);
const RATES = [1000, 5000];

const percentile = (values: readonly number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;

const env = await testEnvironment({ LOG_LEVEL: 'warn' });
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
    const load = demoHistory({ events: rate * seconds, seed: rate })[Symbol.iterator]();
    const deadline = Date.now() + seconds * 1000;
    // The publisher: every 10 ms, the events due by now, acknowledged asynchronously.
    const publisher = (async () => {
      const started = Date.now();
      let sent = 0;
      const inFlight: Promise<unknown>[] = [];
      while (Date.now() < deadline) {
        const due = Math.floor(((Date.now() - started) / 1000) * rate);
        for (; sent < due; sent++) {
          const next = load.next();
          if (next.done) break;
          inFlight.push(publishEvent(nats.js, streams, next.value as OutgoingEvent));
        }
        if (inFlight.length > 5000) await Promise.all(inFlight.splice(0));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Promise.all(inFlight);
      return sent;
    })();
    const total: number[] = [];
    const waited: number[] = [];
    let unmet = 0;
    let probe = 0;
    while (Date.now() < deadline) {
      const id = `probe-${rate}-${probe++}`;
      const t0 = performance.now();
      const ack = await publishEvent(nats.js, streams, {
        eventType: OrderPlaced,
        data: {
          orderId: id,
          customerId: 'probe',
          lines: [{ productId: 'p', quantity: 1, unitPriceCents: 1 }],
        },
        id,
        time: new Date().toISOString(),
        source: '/bench/freshness',
      });
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-vista-min-positions': `ORDERS=${ack.seq}` },
        body: JSON.stringify({ query: `{ order(id: "${id}") { id } }` }),
      });
      const body = (await response.json()) as {
        data?: { order: { id: string } | null };
        extensions?: { consistency?: { met: boolean; waitedMs: number } };
      };
      total.push(performance.now() - t0);
      waited.push(body.extensions?.consistency?.waitedMs ?? Number.NaN);
      if (!body.extensions?.consistency?.met || body.data?.order?.id !== id) unmet++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
