import type { Pool } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import { RateMeter } from '../../../shared/metrics.ts';
import type { Positions } from '../commit/positions.ts';
import type { RunningRole } from '../generations/generations.ts';
import { type Fence, fenceCondition } from '../leases/fence.ts';

/**
 * Moves between these are routine (a live projection goes from running to catching_up and back
 * with every burst of events): they are not kept in the history, which is for what an operator
 * needs to see — retries, halts, stops, standbys and the recoveries from them.
 */
const HEALTHY = ['starting', 'catching_up', 'running'];

/**
 * Statuses from the least to the most in need of attention: a partitioned generation's status
 * is its partitions' worst (one halted partition halts what the view serves at that position).
 */
const SEVERITY = ['running', 'catching_up', 'starting', 'standby', 'stopped', 'retrying', 'halted'];

/** Status changes kept per projection for the console's history (older ones are pruned). */
const STATUS_CHANGES_KEPT = 200;

/**
 * Records what a generation's owner reports: the partition's own in `vista_partitions`, and
 * the generation's (the worst over its partitions) in `vista_generations`; for the live
 * generation also in `vista_projections`, which status and the API read. A change of status
 * (or of its reason), other than between the HEALTHY ones, is also appended to
 * `vista_status_changes`, the projection's history. With a `fence`, only while that lease is
 * still the owner's: after a take-over the status is the new owner's to report, and a stale
 * owner's last words (retrying, stopped) must not overwrite it.
 */
export async function recordStatus(
  pool: Pool,
  name: string,
  generation: number,
  status: string,
  detail: string | null,
  fence?: Fence,
): Promise<void> {
  const owned = fence ? fenceCondition(8, 9, 10, 11) : 'true';
  // The statement sees the partitions' rows as they were before it: this partition's new
  // status joins the others' by hand.
  await pool.query(
    `WITH part AS (
       INSERT INTO vista_partitions (projection, generation, partition, status, detail)
       SELECT $1, $2, $6, $3, $4 WHERE ${owned}
       ON CONFLICT (projection, generation, partition)
       DO UPDATE SET status = EXCLUDED.status, detail = EXCLUDED.detail, updated_at = now()),
     worst AS (
       SELECT status, detail FROM (
         SELECT status, detail FROM vista_partitions WHERE projection = $1 AND generation = $2 AND partition <> $6
         UNION ALL SELECT $3, $4) AS s
        ORDER BY array_position($7::text[], s.status) DESC NULLS LAST LIMIT 1),
     before AS (
       SELECT status, detail FROM vista_generations WHERE projection = $1 AND generation = $2 AND ${owned}),
     g AS (
       UPDATE vista_generations SET status = worst.status, detail = worst.detail FROM worst
        WHERE projection = $1 AND generation = $2 AND ${owned} RETURNING role),
     changed AS (
       INSERT INTO vista_status_changes (projection, generation, status, detail)
       SELECT $1, $2, worst.status, worst.detail FROM before, worst
        WHERE (before.status IS DISTINCT FROM worst.status OR before.detail IS DISTINCT FROM worst.detail)
          AND NOT (before.status = ANY ($5::text[]) AND worst.status = ANY ($5::text[])))
     UPDATE vista_projections p SET status = worst.status, detail = worst.detail, updated_at = now() FROM worst
      WHERE p.name = $1 AND p.generation = $2 AND EXISTS (SELECT 1 FROM g WHERE role = 'live')`,
    [
      name,
      generation,
      status,
      detail,
      HEALTHY,
      fence?.partition ?? 0,
      SEVERITY,
      ...(fence ? [fence.projection, fence.partition, fence.owner, fence.epoch] : []),
    ],
  );
  await pool.query(
    `DELETE FROM vista_status_changes WHERE projection = $1 AND id < (
       SELECT id FROM vista_status_changes WHERE projection = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
    [name, STATUS_CHANGES_KEPT],
  );
}

/**
 * `standby`: another process owns it; `catching_up`: behind the stream heads; `running`:
 * caught up; `retrying`: a batch failed and will be retried; `halted`: stopped by a poison
 * event or repeated failures until an operator acts; `stopped`: shut down.
 */
export type ProjectionStatus =
  | 'standby'
  | 'starting'
  | 'catching_up'
  | 'running'
  | 'retrying'
  | 'halted'
  | 'stopped';

/** Where one generation's runner is, as this process knows it (metrics and tests read it). */
export interface ProjectionProgress {
  status: ProjectionStatus;
  readonly generation: number;
  positions: Positions;
  /** Per stream, events after the position: the lag. */
  pending: Partial<Record<string, number>>;
  eventsApplied: number;
  deadLetters: number;
  lastError: string | undefined;
  /** Consecutive failed attempts since the last commit. */
  failures: number;
}

/**
 * The one writer of a generation's status: the runner tells it what happens (a batch
 * committed, a retry, a halt), the host when the generation goes live or its owner stops, and
 * it keeps the progress this process reads (metrics, tests) and records every change in the
 * catalog (`recordStatus`), which `vista status`, the API and other processes read. With a
 * `fence`, only while the lease is the owner's.
 */
export class StatusReporter {
  readonly progress: ProjectionProgress;
  private readonly rate = new RateMeter();
  /** Status writes in order; awaited by `stopped` so a clean stop is recorded as such. */
  private writes: Promise<void> = Promise.resolve();
  /**
   * The last status write failed: the next report writes again even without a change. Other
   * processes act on what is recorded (a partitioned generation switches once every partition's
   * recorded status is running), so a lost write must not stand for good.
   */
  private unrecorded = false;
  /** Told of every change of status (see `watch`). */
  private readonly watchers: ((status: ProjectionStatus) => void)[] = [];

  constructor(
    private readonly pool: Pool,
    readonly name: string,
    generation: number,
    private currentRole: RunningRole,
    private readonly log: Logger,
    private readonly fence?: Fence,
  ) {
    this.progress = {
      status: 'starting',
      generation,
      positions: {},
      pending: {},
      eventsApplied: 0,
      deadLetters: 0,
      lastError: undefined,
      failures: 0,
    };
  }

  get generation(): number {
    return this.progress.generation;
  }

  /** The partition it reports for (0 when the projection is not split). */
  get partition(): number {
    return this.fence?.partition ?? 0;
  }

  get role(): RunningRole {
    return this.currentRole;
  }

  eventsPerSecond(): number {
    return this.rate.perSecond();
  }

  /** After the switch this generation serves the public name; its status is now the projection's. */
  setRole(role: RunningRole): void {
    this.currentRole = role;
    this.record();
  }

  /** Records a change of status (a halt or a retry with `lastError` as its detail); best effort. */
  set(status: ProjectionStatus): void {
    if (this.progress.status === status && !this.unrecorded) return;
    const changed = this.progress.status !== status;
    this.progress.status = status;
    this.record();
    if (changed && this.watchers.length > 0)
      void this.writes.then(() => {
        for (const watcher of this.watchers) watcher(status);
      });
  }

  /**
   * Calls `watcher` on each change of status in this process, once its catalog write has been
   * tried (the owner of partition 0 switches to a building generation when it catches up,
   * reading the other partitions' statuses there).
   */
  watch(watcher: (status: ProjectionStatus) => void): void {
    this.watchers.push(watcher);
  }

  /** Writes the current status again if its last write failed (the owner's rounds call it). */
  recordIfLost(): void {
    if (this.unrecorded) this.record();
  }

  /** Halts with `reason` as the detail. */
  halt(reason: string): void {
    this.progress.lastError = reason;
    this.set('halted');
  }

  /** `catching_up` while any stream has lag, else `running`. */
  followLag(): void {
    const lagging = Object.values(this.progress.pending).some((pending) => (pending ?? 0) > 0);
    this.set(lagging ? 'catching_up' : 'running');
  }

  /**
   * A batch committed: the positions move to `next`, each stream's lag to what its last applied
   * message said, and the counts grow.
   */
  committed(
    next: Positions,
    applied: readonly { readonly stream: string; readonly pending: number }[],
    deadLetters: number,
  ): void {
    this.progress.positions = { ...this.progress.positions, ...next };
    this.progress.eventsApplied += applied.length;
    this.rate.record(this.progress.eventsApplied);
    this.progress.deadLetters += deadLetters;
    for (const message of applied) this.progress.pending[message.stream] = message.pending;
  }

  /**
   * The runner has stopped: `stopped` is not recorded here but by the lease holder, once every
   * runner of the projection is done (after a lost lease the status is the new owner's).
   */
  async stopped(): Promise<void> {
    this.progress.status = 'stopped';
    await this.writes;
  }

  /** Records `stopped`: the owner's last word, said only while its lease holds. */
  recordStopped(): Promise<void> {
    return recordStatus(this.pool, this.name, this.generation, 'stopped', null, this.fence).catch(
      () => undefined,
    );
  }

  private record(): void {
    const { status, generation, lastError } = this.progress;
    const detail = status === 'halted' || status === 'retrying' ? (lastError ?? null) : null;
    this.unrecorded = false;
    this.writes = this.writes
      .then(() => recordStatus(this.pool, this.name, generation, status, detail, this.fence))
      .catch((error: unknown) => {
        this.unrecorded = true;
        this.log.debug({ err: error }, 'could not record projection status');
      });
  }
}
