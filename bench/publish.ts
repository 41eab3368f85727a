/**
 * Publishing side by side: `publishMany` of the same demo history through nats.js's
 * `js.publish` (a request per event) and through `AckedPublisher` (acknowledgements gathered on
 * one subscription), alternated, each on an installation of its own. Prints events/s, this
 * process's CPU per event and nats-server's, and the ratios. CPU per event holds on a loaded
 * machine; events/s only on a quiet one.
 * Usage: npx tsx bench/publish.ts [events=50000] [rounds=2]
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { loadAverage, natsServerSeconds } from './support/cpu.ts';
import { percentile } from './support/load.ts';

const events = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 2);

/** The same client with its connection hidden: `publishMany` then publishes through `js.publish`. */
const throughRequests = (js: JetStreamClient): JetStreamClient =>
  ({ publish: js.publish.bind(js), getOptions: () => js.getOptions() }) as unknown as JetStreamClient;

const ways = {
  'js.publish': throughRequests,
  AckedPublisher: (js: JetStreamClient) => js,
} as const;
type Way = keyof typeof ways;

const results: Record<Way, { rate: number; node: number; nats: number }[]> = {
  'js.publish': [],
  AckedPublisher: [],
};
const history = [...demoHistory({ events, seed: 7 })];
console.log(`${history.length} demo events, ${rounds} rounds, load ${loadAverage()}`);
for (let round = 0; round < rounds; round++) {
  for (const way of Object.keys(ways) as Way[]) {
    const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
    try {
      const { nats, streams } = env.infrastructure;
      const natsBefore = natsServerSeconds();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await publishMany(ways[way](nats.js), streams, history);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const result = {
        rate: history.length / seconds,
        node: (cpu.user + cpu.system) / history.length,
        nats: ((natsServerSeconds() - natsBefore) * 1e6) / history.length,
      };
      results[way].push(result);
      console.log(
        `${way}: ${Math.round(result.rate)} events/s, ${result.node.toFixed(1)} µs of this process's CPU and ${result.nats.toFixed(1)} of nats-server's per event; load ${loadAverage()}`,
      );
    } finally {
      await env.cleanup();
    }
  }
}
const median = (way: Way, key: 'rate' | 'node' | 'nats') =>
  percentile(
    results[way].map((r) => r[key]),
    0.5,
  );
console.log(
  `medians: events/s ${Math.round(median('js.publish', 'rate'))} → ${Math.round(median('AckedPublisher', 'rate'))} (×${(median('AckedPublisher', 'rate') / median('js.publish', 'rate')).toFixed(2)}); publisher µs/event ${median('js.publish', 'node').toFixed(1)} → ${median('AckedPublisher', 'node').toFixed(1)} (×${(median('AckedPublisher', 'node') / median('js.publish', 'node')).toFixed(2)}); nats-server µs/event ${median('js.publish', 'nats').toFixed(1)} → ${median('AckedPublisher', 'nats').toFixed(1)}`,
);
