/**
 * Rebuild throughput: publishes a seeded history, lets a projector build the live generation,
 * then times `vista rebuild <projection>` (which hosts the rebuild itself when no projector
 * runs) and reports wall time, events/s, the rebuilding process's peak RSS and its CPU time per
 * event (which, unlike events/s, holds on a busy machine).
 * Usage: npx tsx bench/rebuild.ts [events=1000000] [projection,...]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { cpuSeconds } from './support/cpu.ts';

const events = Number(process.argv[2] ?? 1_000_000);
const only = process.argv[3]?.split(',') ?? ['orders', 'products'];

function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0; // the process has exited
  }
}

/** Runs a command of this repo with the environment, sampling its peak RSS until it exits. */
async function run(
  args: string[],
  childEnv: Record<string, string>,
): Promise<{ seconds: number; peakMb: number; cpuSeconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...childEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let peakMb = 0;
  // Sampled: the last 200 ms before the exit (cut-over, shutdown) are not counted.
  let cpuSecondsUsed = 0;
  const sampler = setInterval(() => {
    peakMb = Math.max(peakMb, peakRssMb(child.pid as number));
    cpuSecondsUsed = Math.max(cpuSecondsUsed, cpuSeconds(child.pid as number));
  }, 200);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peakMb, cpuSeconds: cpuSecondsUsed };
}

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
try {
  const { nats, streams, pool } = env.infrastructure;
  let started = performance.now();
  await publishMany(nats.js, streams, demoHistory({ events, seed: 42 }));
  console.log(`published ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const heads = await streamHeads(nats.jsm, streams);

  for (const name of only) {
    const projection = shopApp.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection ${name}`);
    const total = projection.sources.reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
    // The live generation first, built by a projector process that then stops.
    const projector = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
      env: { ...process.env, ...env.env, PROJECTIONS: name },
      stdio: 'ignore',
    });
    started = performance.now();
    await eventually(
      async () => {
        const { rows } = await pool.query<{ done: number }>(
          `SELECT coalesce(sum(c.position), 0) AS done FROM vista_checkpoints c
             JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation WHERE c.projection = $1`,
          [name],
        );
        return rows[0]?.done === total ? true : undefined;
      },
      1_800_000,
      `${name} generation 1`,
    );
    const firstBuild = (performance.now() - started) / 1000;
    projector.kill('SIGTERM');
    await new Promise((resolve) => projector.once('exit', resolve));

    const { seconds, peakMb, cpuSeconds: cpu } = await run(['projectors/cli.ts', 'rebuild', name], env.env);
    console.log(
      `${name.padEnd(10)} ${total} events: first build ${firstBuild.toFixed(1)} s; rebuild ${seconds.toFixed(1)} s = ${Math.round(total / seconds)} events/s (incl. process start and cut-over), peak RSS ${peakMb} MB, CPU ${cpu.toFixed(1)} s = ${((cpu / total) * 1e6).toFixed(1)} µs per event`,
    );
  }
} finally {
  await env.cleanup();
}
