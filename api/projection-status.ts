import {
  type CurrentGeneration,
  readCurrentGenerations,
  type SqlReads,
} from '../projectors/engine/internal.ts';
import { judgeStall, lagSeconds, stallDetail } from '../shared/stall.ts';
import type { FilteredSources } from './filtered-sources.ts';

/** When stream messages were stored, for lag in seconds and stall detection. */
export interface StreamClock {
  /** When the message at `sequence` of `stream` (a contract name) was stored; undefined if there is none. */
  storedAt(stream: string, sequence: number): Promise<Date | undefined>;
  /** Lag with no progress for this long is a stall (STALL_AFTER_S). */
  readonly stallAfterMs: number;
}

const STATUSES = new Set([
  'STANDBY',
  'STARTING',
  'CATCHING_UP',
  'RUNNING',
  'RETRYING',
  'HALTED',
  'STOPPED',
  'STALLED',
]);

/** The status as the enum has it; a status unknown to this API is not an error for the whole list. */
function enumStatus(status: string): string {
  const upper = status.toUpperCase();
  return STATUSES.has(upper) ? upper : 'UNKNOWN';
}

/**
 * What a source is behind: the events of its stream after `position`, as an upper bound when
 * the source has a filter (zero when nothing after it matches, whatever the head: its position
 * is its last *matching* event), and the first of them it reads. Without `filtered`, or when
 * NATS does not answer, a filtered source counts every event after its position.
 */
async function behind(
  projection: string,
  stream: string,
  position: number,
  head: number | undefined,
  filtered: FilteredSources | undefined,
): Promise<{ lag: number | null; first: number }> {
  if (head === undefined) return { lag: null, first: position + 1 };
  const lag = Math.max(0, head - position);
  if (lag === 0 || !filtered) return { lag, first: position + 1 };
  const next = await filtered.matchingAfter(projection, stream, position).catch(() => undefined);
  return next === null ? { lag: 0, first: position + 1 } : { lag, first: next ?? position + 1 };
}

/**
 * Every projection with its live generation (and a building one during a rebuild), in one
 * query; with `clock`, the lag in seconds and stalls (see shared/stall.ts); with `filtered`,
 * no lag for a filtered source with nothing after its position that it reads.
 */
export async function readProjections(
  pool: SqlReads,
  heads: Record<string, number> | undefined,
  clock?: StreamClock,
  filtered?: FilteredSources,
) {
  const rows = await readCurrentGenerations(pool);
  const now = new Date();
  const generation = async (row: CurrentGeneration) => {
    const positions = await Promise.all(
      row.positions.map(async (p) => {
        const { lag, first } = await behind(
          row.projection,
          p.stream,
          p.position,
          heads?.[p.stream],
          filtered,
        );
        const pendingSince =
          lag && clock ? await clock.storedAt(p.stream, first).catch(() => undefined) : undefined;
        return { ...p, lag, pendingSince };
      }),
    );
    const stall = clock
      ? judgeStall(
          { status: row.status, lastAdvanceAt: row.lastAdvanceAt, streams: positions },
          clock.stallAfterMs,
          now,
        )
      : undefined;
    const partitions = await Promise.all(
      row.partitions.map(async (partition) => ({
        index: partition.index,
        owner: partition.owner,
        // Before its first report a partition is starting, as far as anyone can tell.
        status: enumStatus(partition.status ?? 'starting'),
        positions: await Promise.all(
          partition.positions.map(async (p) => ({
            ...p,
            lag: (await behind(row.projection, p.stream, p.position, heads?.[p.stream], filtered)).lag,
          })),
        ),
      })),
    );
    return {
      generation: row.generation,
      version: row.version,
      partitions,
      status: stall ? 'STALLED' : enumStatus(row.status),
      detail: stall ? stallDetail(stall, row.status, row.detail) : row.detail,
      lastAdvanceAt: row.lastAdvanceAt.toISOString(),
      positions: positions.map(({ pendingSince, ...p }) => ({
        ...p,
        // Without a clock the wait is unknown, not zero.
        lagSeconds: clock ? lagSeconds(p.lag, pendingSince, now) : null,
      })),
    };
  };
  return Promise.all(
    rows
      .filter((r) => r.role === 'live')
      .map(async (live) => {
        const building = rows.find((r) => r.projection === live.projection && r.role === 'building');
        const g = await generation(live);
        return {
          name: live.projection,
          version: live.version,
          generation: live.generation,
          status: g.status,
          detail: g.detail,
          positions: g.positions,
          partitions: g.partitions,
          deadLetterCount: live.deadLetters,
          deadLettersNotKept: live.notKept,
          lastActionAt: live.lastActionAt?.toISOString() ?? null,
          live: g,
          rebuilding: building ? await generation(building) : null,
        };
      }),
  );
}

export type Projection = Awaited<ReturnType<typeof readProjections>>[number];
