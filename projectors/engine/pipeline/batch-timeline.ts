import { channel } from 'node:diagnostics_channel';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/**
 * One batch's way through the runner, in milliseconds of wall time: what it waited for, what
 * it cost the main thread, and how its commit overlapped the next batch's preparation. Published
 * on `BATCH_TIMELINE` (node:diagnostics_channel) once the runner has seen its commit settle;
 * nothing is measured while nobody subscribes. `bench/profile-engine.ts --timeline` prints it.
 */
export interface BatchTiming {
  readonly projection: string;
  readonly generation: number;
  /** Messages in the batch. */
  readonly events: number;
  /**
   * Of them, the ones the projection used: events of the types it handles, and poison.
   * BATCH_SIZE counts these (a batch is stretched over the messages it passes over).
   */
  readonly used: number;
  /** Messages the batcher held when the runner asked for this batch (a full batch or more: it need not wait). */
  readonly queued: number;
  /** How long the runner waited for the batch: messages still to come, or a partial batch's time. */
  readonly waitedForBatchMs: number;
  /** Decoding, loading and folding it (again, when a failed commit made it stale). */
  readonly prepareMs: number;
  /** Once prepared, how long it waited for the previous batch's commit to settle. */
  readonly waitedForCommitMs: number;
  /** Its own commit, from its start until it settled (PostgreSQL's transaction, a `_bulk`). */
  readonly commitMs: number;
  /**
   * The share of `commitMs` the event loop was busy: preparing the next batch, reading the
   * streams, serialising the commit itself. Near 1, the main thread (or the core it waits for)
   * sets the pace; near 0, the stores do.
   */
  readonly loopBusyDuringCommit: number;
}

/** The diagnostics channel batches' timings are published on. */
export const BATCH_TIMELINE = 'vista:batch-timeline';
const timeline = channel(BATCH_TIMELINE);

interface Open {
  queued: number;
  askedAt: number;
  takenAt: number;
  preparedAt: number;
  events: number;
  used: number;
  prepareMs: number;
}

interface Committing {
  readonly timing: Omit<BatchTiming, 'commitMs' | 'loopBusyDuringCommit'>;
  readonly startedAt: number;
  readonly loop: EventLoopUtilization;
  /** Set when the commit settles, whether or not the runner is looking yet. */
  ended: { readonly at: number; readonly loopBusy: number } | undefined;
}

/**
 * The runner's stopwatch for `BatchTiming`: one batch being taken and prepared, and the one
 * before it committing. Made only while the channel has subscribers (`batchClock`).
 */
export class BatchClock {
  private open: Open | undefined;
  private committing: Committing | undefined;

  constructor(
    private readonly projection: string,
    private readonly generation: number,
  ) {}

  /** The runner asks the batcher for the next batch, which holds `queued` messages. */
  asking(queued: number): void {
    const now = performance.now();
    this.open = { queued, askedAt: now, takenAt: now, preparedAt: now, events: 0, used: 0, prepareMs: 0 };
  }

  /** The batch came. */
  took(events: number): void {
    if (!this.open) return;
    this.open.events = events;
    this.open.takenAt = performance.now();
  }

  /** A preparation of the batch ended, having used `used` of its messages (the time of a batch prepared again adds up). */
  prepared(startedAt: number, used: number): void {
    if (!this.open) return;
    const now = performance.now();
    this.open.used = used;
    this.open.prepareMs += now - startedAt;
    this.open.preparedAt = now;
  }

  /** The batch's commit starts; `done` settles with it. */
  commitStarts(done: Promise<unknown>): void {
    const open = this.open;
    this.open = undefined;
    if (!open) return;
    const now = performance.now();
    const committing: Committing = {
      timing: {
        projection: this.projection,
        generation: this.generation,
        events: open.events,
        used: open.used,
        queued: open.queued,
        waitedForBatchMs: open.takenAt - open.askedAt,
        prepareMs: open.prepareMs,
        waitedForCommitMs: now - open.preparedAt,
      },
      startedAt: now,
      loop: performance.eventLoopUtilization(),
      ended: undefined,
    };
    const end = () => {
      const loop = performance.eventLoopUtilization(committing.loop);
      committing.ended = { at: performance.now(), loopBusy: loop.utilization };
    };
    done.then(end, end);
    this.committing = committing;
  }

  /** The runner has seen the committing batch settle: its timing is published. */
  settled(): void {
    const committing = this.committing;
    this.committing = undefined;
    if (!committing) return;
    // Settled means ended: the runner awaited the commit's promise, whose handlers ran first.
    const ended = committing.ended ?? { at: performance.now(), loopBusy: Number.NaN };
    timeline.publish({
      ...committing.timing,
      commitMs: ended.at - committing.startedAt,
      loopBusyDuringCommit: ended.loopBusy,
    } satisfies BatchTiming);
  }
}

/** A stopwatch for the runner's next life of its sources, or none while nobody listens. */
export function batchClock(projection: string, generation: number): BatchClock | undefined {
  return timeline.hasSubscribers ? new BatchClock(projection, generation) : undefined;
}
