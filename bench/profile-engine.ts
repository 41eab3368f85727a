/**
 * Runs the engine stage of bench/run.ts alone for one projection, a few times, so it can be
 * profiled: `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile-engine.ts orders 100000 3`.
 */
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { engineDeps, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { engine } from './stages.ts';

const name = process.argv[2] ?? 'orders';
const events = Number(process.argv[3] ?? 100_000);
const repetitions = Number(process.argv[4] ?? 3);

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
try {
  const deps = engineDeps(env.config, env.infrastructure, env.log);
  await publishMany(deps.js, deps.streams, demoHistory({ events, seed: 42 }));
  const heads = await streamHeads(deps.jsm, deps.streams);
  for (let rep = 0; rep < repetitions; rep++) {
    const started = performance.now();
    const handled = await engine(deps, name, heads, 1000 + rep);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${name}: ${handled} events in ${seconds.toFixed(2)} s, ${Math.round(handled / seconds)} events/s`,
    );
  }
} finally {
  await env.cleanup();
}
