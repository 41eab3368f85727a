/**
 * A load publisher in its own process: demo events at a steady rate for a while, so that a
 * benchmark's own probes are not queued behind thousands of publishes on one event loop.
 * Reads the installation from the environment; prints `{"ready": true}` once connected, as it
 * starts publishing, and `{"published": n, "cpuSeconds": s}` when done (its CPU from then on).
 * Usage: npx tsx bench/support/steady-publisher.ts <rate> <seconds> [seed=1]
 */
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { openInfrastructure } from '../../projectors/engine/internal.ts';
import { loadConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { publishAtRate } from './load.ts';

const [rate, seconds, seed = 1] = process.argv.slice(2).map(Number);
if (!rate || !seconds) throw new Error('usage: steady-publisher.ts <rate> <seconds> [seed]');
const config = loadConfig(process.env);
const infrastructure = await openInfrastructure(
  config,
  shopApp.contract,
  'bench-publisher',
  createLogger('warn', 'bench-publisher'),
);
try {
  console.log(JSON.stringify({ ready: true }));
  const cpuBefore = process.cpuUsage();
  const events = demoHistory({ events: rate * seconds, seed })[Symbol.iterator]();
  const published = await publishAtRate(
    infrastructure.nats.js,
    infrastructure.streams,
    events,
    rate,
    Date.now() + seconds * 1000,
  );
  const cpu = process.cpuUsage(cpuBefore);
  console.log(JSON.stringify({ published, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
} finally {
  await infrastructure.close();
}
