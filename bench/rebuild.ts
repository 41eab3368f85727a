/**
 * Rebuild throughput: publishes a seeded history, lets a projector build the live generation,
 * then times `vista rebuild <projection>` (which hosts the rebuild itself when no projector
 * runs) and reports wall time, events/s, the rebuilding process's peak RSS and its CPU time per
 * event (which, unlike events/s, holds on a busy machine).
 *
 * Each rebuild runs twice side by side, `--rounds` times alternated: from the sources under
 * tsx (`npm run vista`), and from the package's compiled build (`dist/`, what `npx vista` runs
 * where a team installed Vista; built here first), the shop application still loaded from its
 * TypeScript as a team's would be. tsx compiling Vista's own modules costs the first 25-45 MB
 * of RSS that the second does not (bench/README.md, "A rebuild's decodings").
 * Usage: npx tsx bench/rebuild.ts [events=1000000] [projection,...] [--rounds N] [--from sources,dist]
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { cpuSeconds, loadAverage } from './support/cpu.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '1' }, from: { type: 'string', default: 'sources,dist' } },
});
const events = Number(positionals[0] ?? 1_000_000);
const only = positionals[1]?.split(',') ?? ['orders', 'products'];
const rounds = Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds ${flags.rounds}: a whole number from 1`);

/** How a rebuilding process is started: its arguments after `node`, and its environment. */
interface Build {
  readonly name: string;
  readonly args: (command: string[]) => string[];
  readonly env: Record<string, string>;
}

const BUILDS: Record<string, Build> = {
  sources: {
    name: 'sources (tsx)',
    args: (command) => ['--import', 'tsx', 'projectors/cli.ts', ...command],
    env: {},
  },
  dist: {
    name: 'dist/ (compiled)',
    args: (command) => ['dist/projectors/cli.js', ...command],
    env: { VISTA_APP: resolve('examples/shop/index.ts') },
  },
};
const builds = (flags.from as string).split(',').map((name) => {
  const build = BUILDS[name];
  if (!build) throw new Error(`--from: unknown build ${name} (sources, dist)`);
  return build;
});
if (builds.includes(BUILDS.dist as Build))
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0; // the process has exited
  }
}

/** Runs `node ...args` with the environment, sampling its peak RSS until it exits. */
async function run(
  args: string[],
  childEnv: Record<string, string>,
): Promise<{ seconds: number; peakMb: number; cpuSeconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
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

    console.log(`${name.padEnd(10)} ${total} events: first build ${firstBuild.toFixed(1)} s`);
    for (let round = 0; round < rounds; round++) {
      for (const build of builds) {
        const load = loadAverage();
        const {
          seconds,
          peakMb,
          cpuSeconds: cpu,
        } = await run(build.args(['rebuild', name]), {
          ...env.env,
          ...build.env,
        });
        console.log(
          `${name.padEnd(10)} from ${build.name}: rebuild ${seconds.toFixed(1)} s = ${Math.round(total / seconds)} events/s (incl. process start and cut-over), peak RSS ${peakMb} MB, CPU ${cpu.toFixed(1)} s = ${((cpu / total) * 1e6).toFixed(1)} µs per event; load ${load} before`,
        );
      }
    }
  }
} finally {
  await env.cleanup();
}
