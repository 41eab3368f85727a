/**
 * Catch-up of every view in one projector process, as after a fresh start on a long history:
 * publishes a seeded history, runs one projector process with all the shop's projections from
 * sequence 1, and reports the event reads per second from the first commit and the process's
 * CPU, for each READER_THREAD value given (alternated, each on a history of its own).
 * Usage: npx tsx bench/catch-up-together.ts [events=100000] [modes=false,true,false,true]
 */
import { spawn } from 'node:child_process';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { cpuSeconds, loadAverage } from './support/cpu.ts';

const events = Number(process.argv[2] ?? 100_000);
const modes = (process.argv[3] ?? 'false,true,false,true').split(',');
const names = shopApp.projections.map((p) => p.name);
for (const mode of modes) {
  const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
  try {
    const { nats, streams, pool } = env.infrastructure;
    await publishMany(nats.js, streams, demoHistory({ events, seed: 42 }));
    const heads = await streamHeads(nats.jsm, streams);
    const total = shopApp.projections.reduce(
      (sum, p) => sum + p.sources.reduce((s, src) => s + (heads[src.stream] ?? 0), 0),
      0,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
      env: { ...process.env, ...env.env, PROJECTIONS: names.join(','), READER_THREAD: mode },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let firstCommit = 0;
    let cpuAtFirst = 0;
    await eventually(
      async () => {
        const { rows } = await pool.query<{ done: string }>(
          'SELECT coalesce(sum(position), 0) AS done FROM vista_checkpoints',
        );
        const done = Number(rows[0]?.done ?? 0);
        if (!firstCommit && done > 0) {
          firstCommit = performance.now();
          cpuAtFirst = cpuSeconds(child.pid as number);
        }
        return done >= total ? true : undefined;
      },
      600_000,
      'catch up',
    );
    const working = (performance.now() - firstCommit) / 1000;
    const cpu = cpuSeconds(child.pid as number) - cpuAtFirst;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    console.log(
      `READER_THREAD=${mode}: ${total} event reads by ${names.length} projections in ${working.toFixed(2)} s from the first commit: ${Math.round(total / working)} reads/s; projector ${(cpu / working).toFixed(2)} cores, ${((cpu / total) * 1e6).toFixed(1)} µs/read; load ${loadAverage()}`,
    );
  } finally {
    await env.cleanup();
  }
}
