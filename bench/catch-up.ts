/**
 * Catch-up throughput of each view: publishes a seeded history once, then runs a projector
 * process per projection (alone, from sequence 1) and reports events/s and the process's peak
 * RSS. Usage: npx tsx bench/catch-up.ts [events=200000] [projection,...]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';

const events = Number(process.argv[2] ?? 200_000);
const only = process.argv[3]?.split(',') ?? shopApp.projections.map((p) => p.name);

/** Peak resident set size of a process, from the kernel's high-water mark. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
try {
  const { nats, streams, pool } = env.infrastructure;
  const published = performance.now();
  await publishMany(nats.js, streams, demoHistory({ events, seed: 42 }));
  const heads = await streamHeads(nats.jsm, streams);
  console.log(
    `published ${events} events in ${((performance.now() - published) / 1000).toFixed(1)} s`,
    heads,
  );

  for (const name of only) {
    const projection = shopApp.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection ${name}`);
    const total = projection.sources.reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
    const child = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
      env: { ...process.env, ...env.env, PROJECTIONS: name },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const started = performance.now();
    let firstCommit = 0;
    let peak = 0;
    await eventually(
      async () => {
        peak = Math.max(peak, peakRssMb(child.pid as number));
        const { rows } = await pool.query<{ done: number }>(
          'SELECT coalesce(sum(position), 0) AS done FROM vista_checkpoints WHERE projection = $1',
          [name],
        );
        if (!firstCommit && (rows[0]?.done ?? 0) > 0) firstCommit = performance.now();
        return rows[0]?.done === total ? true : undefined;
      },
      600_000,
      `${name} to catch up`,
    );
    const finished = performance.now();
    const seconds = (finished - started) / 1000;
    // From the first commit: the engine's own throughput, without Node and tsx starting up.
    const working = (finished - firstCommit) / 1000;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    console.log(
      `${name.padEnd(15)} ${total} events: ${Math.round(total / working)} events/s from the first commit (${working.toFixed(1)} s; ${seconds.toFixed(1)} s with process start), peak RSS ${peak} MB`,
    );
  }
} finally {
  await env.cleanup();
}
