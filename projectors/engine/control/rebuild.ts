import { streamHeads } from '../../../shared/clients/jetstream-streams.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Projection } from '../definition/define.ts';
import type { StartPosition } from '../definition/start-position.ts';
import { readGenerations, requestRebuild } from '../generations/generations.ts';
import { LeaseManager, leaseOwners } from '../leases/lease.ts';
import type { EngineDeps } from './engine-deps.ts';
import { ProjectionHost } from './host.ts';

/** One line of rebuild progress: `[#####-----] 41% 410000/1000000 events 52000 events/s 11 s left`. */
export function progressLine(done: number, total: number, perSecond: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const left = perSecond > 0 ? Math.ceil((total - done) / perSecond) : Number.NaN;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total} events  ${Math.round(perSecond)} events/s  ${Number.isNaN(left) ? '?' : left} s left`;
}

/**
 * How often the command looks whether the rebuilt generation is live (one catalog query): the
 * rebuild's time, as an operator waits for it, ends within this of the switch.
 */
const SWITCH_POLL_MS = 100;
/** Every how many of those polls it reports progress and looks for a halt. */
const PROGRESS_POLLS = 5;

/** Whether no projector process holds the projection's lease now (read, not taken: no epoch is spent). */
async function leaseIsFree(pool: EngineDeps['pool'], name: string): Promise<boolean> {
  return !(await leaseOwners(pool)).some((lease) => lease.projection === name);
}

/** The generation being built halted (a poison event under `halt`, a divergence, a gap): the rebuild cannot finish. */
export class RebuildHaltedError extends Error {
  readonly code = 'REBUILD_HALTED';
}

/**
 * `vista rebuild <projection>`: asks for a new generation and shows its progress until it
 * has taken over, or throws `RebuildHaltedError` when it halts. When no projector process
 * owns the projection, this process runs it.
 */
export async function rebuild(
  projection: Projection,
  deps: EngineDeps,
  databaseUrl: string,
  log: Logger,
  write: (line: string, final: boolean) => void,
  /** Other start positions than the definition's, by stream (e.g. only the last month). */
  start: Readonly<Record<string, StartPosition>> | null = null,
): Promise<{ generation: number; seconds: number; events: number }> {
  const { pool, jsm, streams } = deps;
  for (const stream of Object.keys(start ?? {}))
    if (!projection.sources.some((s) => s.stream === stream))
      throw new Error(
        `${projection.name} does not read ${stream}; its sources are ${projection.sources.map((s) => s.stream).join(', ')}`,
      );
  if (!(await requestRebuild(pool, projection.name, start)))
    throw new Error(`${projection.name} is already rebuilding`);
  const before = (await readGenerations(pool, projection.name)).live?.generation;
  const stop = new AbortController();
  let hosting: Promise<void> | undefined;
  if (await leaseIsFree(pool, projection.name)) {
    write('no projector owns it: rebuilding in this process', true);
    hosting = new ProjectionHost([projection], deps, new LeaseManager(databaseUrl, log)).run(stop.signal, {
      waitForPeers: false,
    });
  }
  const started = performance.now();
  const samples: { at: number; done: number }[] = [];
  const total = async () => {
    const heads = await streamHeads(
      jsm,
      streams,
      projection.sources.map((s) => s.stream),
    );
    return projection.sources.reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
  };
  try {
    for (let poll = 1; ; poll++) {
      await new Promise((resolve) => setTimeout(resolve, SWITCH_POLL_MS));
      const { live, building } = await readGenerations(pool, projection.name);
      if (live && live.generation !== before) {
        const seconds = (performance.now() - started) / 1000;
        const events = await total();
        write(
          `${progressLine(events, events, events / seconds)}\ngeneration ${live.generation} is live`,
          true,
        );
        return { generation: live.generation, seconds, events };
      }
      if (!building || poll % PROGRESS_POLLS !== 0) continue;
      const { rows: reported } = await pool.query<{ status: string; detail: string | null }>(
        'SELECT status, detail FROM vista_generations WHERE projection = $1 AND generation = $2',
        [projection.name, building.generation],
      );
      if (reported[0]?.status === 'halted') {
        throw new RebuildHaltedError(
          `generation ${building.generation} of ${projection.name} halted: ${reported[0].detail ?? 'no detail'}; see \`vista dead-letters ${projection.name}\``,
        );
      }
      const { rows } = await pool.query<{ done: number }>(
        'SELECT coalesce(sum(position), 0) AS done FROM vista_positions WHERE projection = $1 AND generation = $2',
        [projection.name, building.generation],
      );
      const done = rows[0]?.done ?? 0;
      samples.push({ at: performance.now(), done });
      while (samples.length > 10) samples.shift();
      const first = samples[0] as { at: number; done: number };
      const rate = samples.length > 1 ? ((done - first.done) * 1000) / (performance.now() - first.at) : 0;
      write(progressLine(done, await total(), rate), false);
    }
  } finally {
    stop.abort();
    await hosting;
  }
}
