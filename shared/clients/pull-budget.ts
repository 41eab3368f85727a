import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';

/** Room a delivered message takes beyond its payload and headers: subject, reply subject, protocol line. */
const FRAMING_BYTES = 8 * 1024;

/**
 * The bytes that the pull consumers of one NATS connection may have asked the server for and
 * not yet consumed, shared between them. The server cuts a connection off as a *slow consumer*
 * once more than its `max_pending` (64 MiB by default) waits to be sent to it, whichever
 * subscriptions that is for: so the consumers sharing a connection share one budget, kept
 * below that limit, instead of each asking for thousands of messages that may each be 1 MiB.
 *
 * Each reader holds a share while it runs. A share is an equal part of the budget, rounded
 * down to a power of two so that readers coming and going seldom re-divide it, and never less
 * than two of the largest messages the server takes (a pull must fit one, and the next one
 * must be asked for while it arrives). When the equal part halves or doubles, the readers are
 * told to start new consumers with their new shares; so are all of them when the connection
 * comes back after a disconnect, since what was in flight on it is lost.
 *
 * ```ts
 * const budget = new PullBudget(32 * 1024 * 1024, () => nc.info?.max_payload ?? 1024 * 1024, log);
 * void budget.watch(nc);
 * const share = budget.join(); // { bytes, signal } for each consumer: share.renew()
 * ```
 */
export class PullBudget {
  private readonly shares = new Set<PullShare>();
  private overcommitted = false;

  constructor(
    readonly totalBytes: number,
    /** The largest payload (with headers) the server takes: its `max_payload`. */
    private readonly maxPayload: () => number,
    private readonly log?: Logger,
  ) {}

  /** The largest a delivered message can be. */
  get messageBytes(): number {
    return this.maxPayload() + FRAMING_BYTES;
  }

  get readers(): number {
    return this.shares.size;
  }

  /** What each reader may have pulled and not consumed, with the readers there are now. */
  fairShare(): number {
    const equal = Math.floor(this.totalBytes / Math.max(1, this.shares.size));
    const rounded = 2 ** Math.floor(Math.log2(Math.max(1, equal)));
    return Math.max(2 * this.messageBytes, rounded);
  }

  /** A new reader's share; `leave()` it when the reader stops. */
  join(): PullShare {
    const share = new PullShare(this);
    this.shares.add(share);
    this.redivide();
    return share;
  }

  /** @internal (PullShare.leave) */
  remove(share: PullShare): void {
    if (this.shares.delete(share)) this.redivide();
  }

  /** Tells every reader to start a new consumer from where it is. */
  restartAll(reason: string): void {
    for (const share of this.shares) share.restart(reason);
  }

  /**
   * Restarts every reader's consumer each time `connection` reconnects: the server may have cut
   * it off as a slow consumer, and messages in flight on the old connection never arrive.
   * Resolves when the connection is closed.
   */
  async watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'reconnect') this.restartAll('reconnected');
    }
  }

  private redivide(): void {
    const fair = this.fairShare();
    for (const share of this.shares) {
      if (share.bytes === 0) continue; // its consumer has not started: it takes the fair share then
      if (share.bytes > fair || share.bytes * 2 <= fair) share.restart('pull budget re-divided');
    }
    const overcommitted = fair * this.shares.size > this.totalBytes;
    if (overcommitted && !this.overcommitted) {
      this.log?.warn(
        { readers: this.shares.size, shareBytes: fair, budgetBytes: this.totalBytes },
        'more stream readers than PULL_BUDGET_BYTES holds at two of the largest messages each: raise it (below the server max_pending) or spread projections over processes',
      );
    }
    this.overcommitted = overcommitted;
  }
}

/** One reader's part of a PullBudget. */
export class PullShare {
  private controller = new AbortController();
  /** The bytes its current consumer may pull; 0 before the first. */
  bytes = 0;

  constructor(private readonly budget: PullBudget) {}

  /**
   * For the reader's next consumer: takes the fair share now. `signal` aborts, with the reason
   * as a string, when that consumer must give way to a new one.
   */
  renew(): { readonly bytes: number; readonly signal: AbortSignal } {
    this.controller = new AbortController();
    this.bytes = this.budget.fairShare();
    return { bytes: this.bytes, signal: this.controller.signal };
  }

  restart(reason: string): void {
    this.controller.abort(reason);
  }

  leave(): void {
    this.controller.abort('left');
    this.budget.remove(this);
  }
}
