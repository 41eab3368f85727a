/**
 * Scale-out of catch-up over partitions and processes: publishes one seeded history, then for
 * each projection (orders, products), partition count (1, 2, 4) and number of projector
 * processes (1, 2) builds a fresh generation of the projection from sequence 1 (each
 * configuration is its own version, so they all run on the same history) and reports events/s
 * from the first commit, the projector processes' CPU-seconds per 1k events and the cores they
 * kept busy, beside the CPU of the installation's PostgreSQL backends and of nats-server (shared
 * with whatever else runs on the machine), and how long the processes took to their first commit.
 * Usage: npx tsx bench/scale.ts [events=100000] [projection,...] [partitions=1,2,4] [processes=1,2] [log dir]
 *          [--cpu-prof=DIR]   (a V8 CPU profile of each projector process, for bench/profile-areas.ts)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { eventually, isolatedInstallation, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { cpuSeconds, DatabaseCpu, natsServerSeconds } from './support/cpu.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'cpu-prof': { type: 'string' } },
});
const events = Number(positionals[0] ?? 100_000);
const only = positionals[1]?.split(',') ?? ['orders', 'products'];
const PARTITIONS = (positionals[2] ?? '1,2,4').split(',').map(Number);
const PROCESSES = (positionals[3] ?? '1,2').split(',').map(Number);
/** Where the projector processes' logs go (one file per configuration), to see why one did not finish. */
const LOGS = positionals[4];
/** Where each projector process writes its CPU profile (whole life, start-up included), if anywhere. */
const PROFILES = flags['cpu-prof'];

/** An application module whose `name` projection has `partitions` and `version`: what the processes load. */
function appModule(dir: string, name: string, partitions: number, version: number): string {
  const path = join(dir, `${name}-v${version}-p${partitions}.ts`);
  const shop = resolve('examples/shop/index.ts');
  const engine = resolve('projectors/engine/index.ts');
  writeFileSync(
    path,
    `import shop from ${JSON.stringify(shop)};
import { defineApplication } from ${JSON.stringify(engine)};
export default defineApplication({ ...shop, projections: shop.projections.map((p) =>
  p.name === ${JSON.stringify(name)} ? { ...p, version: ${version}, partitions: ${partitions} } : p) });
`,
  );
  return path;
}

interface Result {
  readonly projection: string;
  readonly partitions: number;
  readonly processes: number;
  readonly eventsPerSecond: number;
  readonly cpuPer1k: number;
  readonly cores: number;
  /** CPU-seconds per 1k events of the installation's PostgreSQL backends and of nats-server. */
  readonly postgresPer1k: number;
  readonly natsPer1k: number;
  /** Seconds from starting the processes to the first commit of the generation. */
  readonly toFirstCommit: number;
  /** Backends of the installation found waiting for a lock, per sample (about one every 50 ms). */
  readonly lockWaits: number;
  readonly load: number;
}

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'vista-scale-'));
const results: Result[] = [];
try {
  const { nats, streams, pool } = env.infrastructure;
  await publishMany(nats.js, streams, demoHistory({ events, seed: 42 }));
  const heads = await streamHeads(nats.jsm, streams);
  console.log(`published ${events} events`, heads);
  let version = 1;
  for (const name of only) {
    const projection = shopApp.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection ${name}`);
    const total = projection.sources.reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
    for (const partitions of PARTITIONS) {
      for (const processes of PROCESSES) {
        version++;
        const app = appModule(dir, name, partitions, version);
        const label = `${name}-v${version}-p${partitions}`;
        const started = performance.now();
        const children = Array.from({ length: processes }, (_, i) =>
          spawn(
            process.execPath,
            [
              ...(PROFILES
                ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${label}-${i}.cpuprofile`]
                : []),
              '--import',
              'tsx',
              'projectors/main.ts',
            ],
            {
              env: {
                ...process.env,
                ...env.env,
                VISTA_APP: app,
                PROJECTIONS: name,
                ...(LOGS ? { LOG_LEVEL: 'info' } : {}),
              },
              stdio: ['ignore', LOGS ? 'pipe' : 'ignore', 'inherit'],
            },
          ),
        );
        if (LOGS)
          for (const [i, child] of children.entries())
            child.stdout?.pipe(createWriteStream(join(LOGS, `${label}-${i}.log`)));
        const cpu = () => children.reduce((sum, c) => sum + cpuSeconds(c.pid as number), 0);
        const postgres = new DatabaseCpu(pool);
        // The generation of this version: the one built now (a new version builds beside the live one).
        const done = async () => {
          const { rows } = await pool.query<{ done: number }>(
            `SELECT coalesce(sum(c.position), 0)::bigint AS done FROM vista_positions c
               JOIN vista_generations g ON g.projection = c.projection AND g.generation = c.generation
              WHERE c.projection = $1 AND g.version = $2`,
            [name, version],
          );
          return Number(rows[0]?.done ?? 0);
        };
        let first: { at: number; cpu: number; postgres: number; nats: number; done: number } | undefined;
        let last = { postgres: 0, nats: 0 };
        await eventually(
          async () => {
            const now = await done();
            last = { postgres: await postgres.sample(), nats: natsServerSeconds() };
            if (!first && now > 0) first = { at: performance.now(), cpu: cpu(), ...last, done: now };
            return now >= total ? true : undefined;
          },
          900_000,
          `${name} (${partitions} partitions, ${processes} processes) to catch up`,
        );
        const seconds = (performance.now() - (first?.at ?? 0)) / 1000;
        const used = cpu() - (first?.cpu ?? 0);
        const applied = total - (first?.done ?? 0);
        // Not timed: the switch to this generation, so that the next version builds beside it.
        await eventually(
          async () => {
            const { rows } = await pool.query(
              'SELECT 1 FROM vista_projections WHERE name = $1 AND version = $2',
              [name, version],
            );
            return rows.length > 0 ? true : undefined;
          },
          180_000,
          `${name} version ${version} to go live`,
        ).catch(async (error: unknown) => {
          // What each partition of the generations reported, to see which one held the switch.
          const { rows } = await pool.query(
            `SELECT g.generation, g.version, g.role, g.status, p.partition, p.status AS partition_status
               FROM vista_generations g LEFT JOIN vista_partitions p USING (projection, generation)
              WHERE g.projection = $1 AND g.role <> 'retired' ORDER BY 1, 5`,
            [name],
          );
          console.error(rows);
          throw error;
        });
        for (const child of children) child.kill('SIGTERM');
        await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
        const result: Result = {
          projection: name,
          partitions,
          processes,
          eventsPerSecond: Math.round(applied / seconds),
          cpuPer1k: (used / applied) * 1000,
          cores: used / seconds,
          postgresPer1k: ((last.postgres - (first?.postgres ?? 0)) / applied) * 1000,
          natsPer1k: ((last.nats - (first?.nats ?? 0)) / applied) * 1000,
          toFirstCommit: ((first?.at ?? started) - started) / 1000,
          lockWaits: postgres.lockWaits / Math.max(1, postgres.samples),
          load: loadavg()[0] ?? 0,
        };
        results.push(result);
        console.log(
          `${name.padEnd(9)} ${partitions} partition(s), ${processes} process(es): ${result.eventsPerSecond} events/s, ` +
            `${result.cpuPer1k.toFixed(3)} projector CPU-s per 1k events, ${result.cores.toFixed(2)} cores busy, ` +
            `PostgreSQL ${result.postgresPer1k.toFixed(3)}, nats-server ${result.natsPer1k.toFixed(3)} CPU-s per 1k events, ` +
            `first commit after ${result.toFirstCommit.toFixed(1)} s, ${result.lockWaits.toFixed(2)} backends waiting for a lock ` +
            `(load ${result.load.toFixed(1)})`,
        );
      }
    }
  }
  console.log(
    '\n| projection | partitions | processes | events/s | projector CPU-s / 1k events | cores busy | PostgreSQL / nats-server CPU-s / 1k events | first commit (s) | lock waits | load avg (1 min) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results)
    console.log(
      `| ${r.projection} | ${r.partitions} | ${r.processes} | ${r.eventsPerSecond} | ${r.cpuPer1k.toFixed(3)} | ${r.cores.toFixed(2)} | ` +
        `${r.postgresPer1k.toFixed(3)} / ${r.natsPer1k.toFixed(3)} | ${r.toFirstCommit.toFixed(1)} | ${r.lockWaits.toFixed(2)} | ${r.load.toFixed(1)} |`,
    );
  for (const name of only) {
    const of = (partitions: number, processes: number) =>
      results.find((r) => r.projection === name && r.partitions === partitions && r.processes === processes);
    const base = of(1, 1);
    if (!base) continue;
    for (const partitions of PARTITIONS.slice(1)) {
      const two = of(partitions, 2);
      const one = of(partitions, 1);
      if (two)
        console.log(
          `${name}: ${partitions} partitions over 2 processes / 1 partition, 1 process: ${(two.eventsPerSecond / base.eventsPerSecond).toFixed(2)}× events/s`,
        );
      if (one)
        console.log(
          `${name}: CPU per event, ${partitions} partitions / 1 partition (1 process): ${(one.cpuPer1k / base.cpuPer1k).toFixed(2)}×`,
        );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await env.cleanup();
}
