import type { JetStreamManager } from '@nats-io/jetstream';
import { storedAtMemo, streamHeads } from '../../../shared/clients/jetstream-streams.ts';
import type { Pool } from '../../../shared/clients/postgres.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import { judgeStall, lagSeconds, stallDetail } from '../../../shared/stall.ts';
import type { RunningRole } from '../generations/generations.ts';
import { readCurrentGenerations } from './current-generations.ts';

export interface StatusReport {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  /** `live` serves the public name; `building` is a rebuild beside it. */
  readonly role: RunningRole;
  /** What its owner reports, or `stalled` (lag and no progress for STALL_AFTER_S), or `unowned`. */
  readonly status: string;
  readonly detail: string | null;
  readonly deadLetters: number;
  /** When one of its positions last moved. */
  readonly lastAdvanceAt: Date;
  /** Per source: the checkpoint, the lag behind the head (in events and in seconds), and where this generation started. */
  readonly streams: { stream: string; position: number; lag: number; lagSeconds: number; start: string }[];
  /** Its partitions: index, owner (none: null), reported status and positions with lag. */
  readonly partitions: {
    index: number;
    owner: string | null;
    status: string | null;
    positions: { stream: string; position: number; lag: number }[];
  }[];
}

/** Options for reading status repeatedly (a memo of message times survives between reads). */
export interface StatusReader {
  read(): Promise<StatusReport[]>;
}

/**
 * What `vista status` prints: per projection its live generation and, during a rebuild, the
 * building one, with the stored status, the lag behind the stream heads (in events and in
 * seconds the oldest pending event has waited) and, when it has lag but has not advanced for
 * `stallAfterMs`, the status `stalled`.
 *
 * @example
 *   const reader = statusReader(pool, nats.jsm, streams, config.STALL_AFTER_S * 1000);
 *   for (const p of await reader.read()) console.log(p.name, p.status, p.detail ?? '');
 */
export function statusReader(
  pool: Pool,
  jsm: JetStreamManager,
  streams: Streams,
  stallAfterMs: number,
): StatusReader {
  const storedAt = storedAtMemo(jsm, streams);
  return { read: () => readStatusWith(pool, jsm, streams, stallAfterMs, storedAt) };
}

/** One reading of the status (see statusReader); a stall is lag with no progress for `stallAfterMs`. */
export function readStatus(
  pool: Pool,
  jsm: JetStreamManager,
  streams: Streams,
  stallAfterMs = 60_000,
): Promise<StatusReport[]> {
  return statusReader(pool, jsm, streams, stallAfterMs).read();
}

async function readStatusWith(
  pool: Pool,
  jsm: JetStreamManager,
  streams: Streams,
  stallAfterMs: number,
  storedAt: (stream: string, sequence: number) => Promise<Date | undefined>,
): Promise<StatusReport[]> {
  const heads = await streamHeads(jsm, streams);
  const rows = await readCurrentGenerations(pool);
  const now = new Date();
  return Promise.all(
    rows.map(async (row) => {
      const positions = await Promise.all(
        row.positions.map(async ({ stream, position, start }) => {
          const lag = Math.max(0, (heads[stream] ?? 0) - position);
          const pendingSince = lag > 0 ? await storedAt(stream, position + 1) : undefined;
          return {
            stream,
            position,
            start,
            lag,
            pendingSince,
            lagSeconds: lagSeconds(lag, pendingSince, now) ?? 0,
          };
        }),
      );
      const stall = judgeStall(
        { status: row.status, lastAdvanceAt: row.lastAdvanceAt, streams: positions },
        stallAfterMs,
        now,
      );
      // A process killed without a word leaves its last status behind; no lease means no owner.
      const owned = row.owned || row.status === 'stopped';
      return {
        name: row.projection,
        version: row.version,
        generation: row.generation,
        role: row.role,
        status: !owned ? 'unowned' : stall ? 'stalled' : row.status,
        detail: owned && stall ? stallDetail(stall, row.status, row.detail) : row.detail,
        deadLetters: row.deadLetters,
        lastAdvanceAt: row.lastAdvanceAt,
        streams: positions.map(({ pendingSince: _, ...p }) => p),
        partitions: row.partitions.map((partition) => ({
          ...partition,
          positions: partition.positions.map((p) => ({
            ...p,
            lag: Math.max(0, (heads[p.stream] ?? 0) - p.position),
          })),
        })),
      };
    }),
  );
}
