import { EventEmitter } from 'node:events';
import type pg from 'pg';
import {
  CHECKPOINT_CHANNEL,
  type CheckpointNotice,
  hasReached,
  type LivePositions,
  type Positions,
  parseCheckpointNotice,
  readLivePositions,
} from '../projectors/engine/internal.ts';
import { createDedicatedClient, type Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { FilteredSources } from './filtered-sources.ts';

/**
 * A NOTIFY sent while the listener is disconnected is lost, and a generation switch sends none:
 * the process re-reads the (small) checkpoint table this often anyway, once for everyone.
 */
const SAFETY_REREAD_MS = 1000;

/**
 * The live checkpoints of every projection, kept current for the whole API process by one
 * LISTEN connection. A commit's notification carries its checkpoint: for a projection of one
 * partition at the live generation this process knows, the positions are taken from it (only
 * ever forward). Any other notification (a switch, an operator's command, a partitioned
 * projection, whose position is the least over its partitions) and a slow timer trigger a
 * re-read of the checkpoint table, coalesced so that at most one read is in flight and one
 * queued whatever the rate of commits. Waiting requests and subscriptions are woken from here
 * (`change`), never by a poll loop of their own.
 */
export class CheckpointWatcher extends EventEmitter<{
  change: [projection: string, positions: Positions];
}> {
  private live = new Map<string, LivePositions>();
  private listener: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The schema this installation's checkpoints are in: notices from others are not ours. */
  private schema: string | undefined;
  /** Notices taken so far: a read that saw one taken meanwhile may be older than it. */
  private noticesTaken = 0;
  /** Read-your-writes waits, each told of every change. */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly connectionString: string,
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.listen();
    await Promise.all([this.refresh(), this.learnSchema()]).catch((error: unknown) =>
      this.log.warn({ err: error }, 'checkpoints not readable yet'),
    );
    this.timer = setInterval(() => {
      if (!this.listener) void this.listen();
      if (this.schema === undefined) void this.learnSchema().catch(() => undefined);
      void this.refresh().catch(() => undefined);
    }, SAFETY_REREAD_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.connecting;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** How many read-your-writes waits are pending. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** The last known positions of a projection's live generation; undefined before it has any. */
  current(projection: string): Positions | undefined {
    return this.live.get(projection)?.positions;
  }

  /** Those of `projections` whose live generation is halted (or diverged): they move no more. */
  halted(projections: readonly string[]): string[] {
    return projections.filter((p) => this.live.get(p)?.halted);
  }

  /** The projections with a live generation, by name. */
  projections(): string[] {
    return [...this.live.keys()].sort();
  }

  /** The last known positions of several projections, as `extensions.positions` reports them. */
  snapshot(projections: readonly string[]): Record<string, Positions> {
    return Object.fromEntries(projections.map((p) => [p, this.current(p) ?? {}]));
  }

  /**
   * Re-reads the live checkpoints and announces each projection that moved (or switched
   * generation). Resolves after a read that started after the call, so a caller that knows of
   * a commit sees it; concurrent callers share one read.
   */
  refresh(): Promise<void> {
    if (!this.reading) {
      this.reading = this.read().finally(() => {
        this.reading = undefined;
      });
      return this.reading;
    }
    this.queued ??= this.reading
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  /**
   * Resolves `met` true once every projection in `projections` has reached `required` on the
   * streams it reads, false when `timeoutMs` runs out or `signal` aborts first, and false at
   * once while one of them is halted. A projection with no checkpoint yet has reached nothing.
   * With `filtered`, a sequence a projection's filter leaves out counts as reached once it has
   * every matching one before it (see FilteredSources). `halted` is those halted when it
   * resolved, read at the same moment as `met`: a wait a halt ended names it, even if the
   * catalog is re-read before the answer goes (`met: false, halted: []` said neither).
   */
  waitFor(
    required: Positions,
    projections: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
    filtered?: FilteredSources,
  ): Promise<{ met: boolean; halted: string[] }> {
    const since = performance.now();
    const stuck = () => this.halted(projections).length > 0;
    return new Promise((settle) => {
      const resolve = (met: boolean) => settle({ met, halted: this.halted(projections) });
      let waiting = false;
      const reached = () =>
        projections.every((p) =>
          filtered
            ? filtered.covers(p, this.current(p), required, since, onChange)
            : hasReached(this.current(p), required),
        );
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(onChange);
        signal?.removeEventListener('abort', done);
        waiting = false;
        resolve(!stuck() && reached());
      };
      // Also called when a question of `filtered` is answered, possibly after the wait ended.
      const onChange = () => {
        if (waiting && (stuck() || reached())) done();
      };
      if (stuck()) return resolve(false);
      if (reached()) return resolve(true);
      waiting = true;
      const timer = setTimeout(done, timeoutMs);
      // A set, not one 'change' listener each: removing one of n listeners is O(n), and n
      // waiters ending together cost O(n²) (1,000 waiters: a fifth of a second of the event loop).
      this.waiters.add(onChange);
      signal?.addEventListener('abort', done, { once: true });
      // The cache may be a moment behind a commit whose NOTIFY is still in flight.
      void this.refresh().catch(() => undefined);
    });
  }

  private async read(): Promise<void> {
    const noticesBefore = this.noticesTaken;
    const next = await readLivePositions(this.pool);
    const before = this.live;
    // A notice taken while this read was in flight may be newer than what it read (commits
    // only move a generation's positions forward): keep the further of the two.
    if (this.noticesTaken !== noticesBefore) {
      for (const [name, now] of next) {
        const was = before.get(name);
        if (was && was.generation === now.generation)
          next.set(name, { ...now, positions: furthest(was.positions, now.positions) });
      }
    }
    this.live = next;
    let changed = false;
    for (const [name, now] of next) {
      const was = before.get(name);
      if (!was || was.generation !== now.generation || !samePositions(was.positions, now.positions)) {
        changed = true;
        this.emit('change', name, now.positions);
      } else if (was.halted !== now.halted) changed = true;
    }
    if (changed) for (const waiter of this.waiters) waiter();
  }

  private async learnSchema(): Promise<void> {
    const { rows } = await this.pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    this.schema = rows[0]?.schema;
  }

  /** A commit's notification: its positions taken when they are the projection's, else a re-read. */
  private notified(payload: string | undefined): void {
    const notice = this.schema === undefined ? undefined : parseCheckpointNotice(payload, this.schema);
    const known = notice && this.live.get(notice.projection);
    if (!notice || !known || !appliesTo(notice, known)) {
      void this.refresh().catch(() => undefined);
      return;
    }
    const positions = furthest(known.positions, notice.positions);
    if (samePositions(known.positions, positions)) return;
    this.live.set(notice.projection, { ...known, positions });
    this.noticesTaken++;
    this.emit('change', notice.projection, positions);
    for (const waiter of this.waiters) waiter();
  }

  /** Connects the one listener of the process; on any error it is dropped and the timer reconnects. */
  private listen(): Promise<void> {
    if (this.closed || this.listener) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = createDedicatedClient(this.connectionString, 'vista-api-listener');
      const drop = (error?: Error) => {
        if (this.listener !== client) return;
        this.listener = undefined;
        this.log.warn({ err: error }, 'checkpoint listener lost; reconnecting');
        void client.end().catch(() => undefined);
      };
      client.on('error', drop);
      client.on('end', () => drop());
      client.on('notification', (message) => this.notified(message.payload));
      try {
        await client.connect();
        await client.query(`LISTEN ${CHECKPOINT_CHANNEL}`);
        if (this.closed) {
          await client.end();
          return;
        }
        this.listener = client;
        // Commits made while no listener was connected sent their NOTIFY to nobody.
        void this.refresh().catch(() => undefined);
      } catch (error) {
        this.log.warn({ err: error }, 'checkpoint listener not connected; retrying');
        await client.end().catch(() => undefined);
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}

/** Whether a notice's checkpoint is its projection's position as this process knows it. */
function appliesTo(notice: CheckpointNotice, known: LivePositions): boolean {
  return known.generation === notice.generation && known.partitions === 1 && notice.partition === 0;
}

/** Each stream's further position of the two. */
function furthest(a: Record<string, number>, b: Positions): Record<string, number> {
  const result = { ...a };
  for (const [stream, position] of Object.entries(b)) {
    if (position !== undefined && !(position <= (result[stream] ?? -1))) result[stream] = position;
  }
  return result;
}

function samePositions(a: Positions, b: Positions): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
