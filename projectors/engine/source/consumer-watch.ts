import type { Consumer } from '@nats-io/jetstream';

/**
 * How long the reader waits, once a pull of its consumer was cut short, before it asks the
 * server whether any pull of the consumer is still open there. The question (consumer info)
 * costs nats-server a few ms on a large stream: at 25 ms a catch-up of 48k events asked it 59
 * times and nats-server's CPU per event rose by a third; at 50 ms, 12 times and no measurable
 * cost.
 */
export const STARVED_CHECK_MS = 50;

/** Why the reader replaces a consumer whose pulls starved: routine, logged at debug. */
export const STARVED = 'no pull open at the server';

/**
 * Watches the waits of one reader for its consumer's next message, for the two ways a consumer
 * stops delivering what the stream holds, and calls `replace` with the reason when one is seen:
 *
 * - **Starved pulls.** nats.js counts what it has asked for and not received, and asks again
 *   once little is left. A pull that ends by its message count leaves its unused bytes counted
 *   for good, so its refills ask for ever fewer bytes; when the next messages are larger, the
 *   server ends such a pull early (409 Message Size Exceeds MaxBytes). From then on nats.js may
 *   believe a pull is open that is not, and asks again only after two missed heartbeats: the
 *   reader stood still for 2-3 s, on a live tail right after such an end (a freshness probe in a
 *   hundred at 1k events/s) and in catch-up some messages later (raw reads in 2 of 3 bench
 *   repetitions; a check right after the end alone missed those), issue 23. So once a pull was
 *   cut short, each wait that lasts STARVED_CHECK_MS is looked into, once: with no pull of the
 *   consumer waiting at the server, the consumer is replaced. A pull that waits there brings
 *   the next message, unless it is cut short itself: a cut in the middle of a wait already
 *   looked into has that wait looked into again (at 10 events/s a freshness probe waited
 *   2.1-2.6 s in 5 of 15 runs, its pull cut short 10 ms after the question had found it waiting).
 * - **A stall.** The connection was cut (as the server does to a slow consumer) and the client
 *   did not recover the consumer: after `stallMs` of waiting, and again every `stallMs` of the
 *   same wait, the server is asked whether the stream holds more for the consumer than it
 *   delivered.
 *
 * One wait is one clock read: the reader calls `waitStarts` after each message it hands on and
 * `waitEnds` when the next one comes. An answer that arrives after the wait ended is ignored.
 */
export class ConsumerWatch {
  private waiting = false;
  /** Counts waits, so that an answer is matched to the wait it was asked for. */
  private waits = 0;
  private waitingSince = 0;
  /** The wait the starved question was last asked for. */
  private starvedAsked = 0;
  /** Since when the stall clock runs: the start of the wait, or the last answer that found nothing. */
  private stallSince = 0;
  private stallAsking = false;
  private starvedTimer: NodeJS.Timeout | undefined;
  private readonly stallTimer: NodeJS.Timeout;

  constructor(
    private readonly consumer: Consumer,
    /** The last sequence the reader handed on. */
    private readonly position: () => number,
    private readonly stallMs: number,
    private readonly replace: (reason: string) => void,
  ) {
    // Unref'd timers: a reader abandoned without its finally must not keep the process alive.
    this.stallTimer = setInterval(() => this.lookForStall(), Math.max(100, stallMs / 4)).unref();
    this.waitStarts();
  }

  /** The reader waits for the consumer's next message. */
  waitStarts(): void {
    this.waits++;
    this.waiting = true;
    this.waitingSince = Date.now();
    this.stallSince = this.waitingSince;
  }

  /** The message came. */
  waitEnds(): void {
    this.waiting = false;
  }

  /**
   * A pull was cut short: from now on, waits of STARVED_CHECK_MS are looked into, and the
   * current one again if it was already (the pull its question found may be the one cut).
   */
  cutShort(): void {
    this.starvedAsked = 0;
    this.starvedTimer ??= setInterval(() => this.lookForStarvedPulls(), STARVED_CHECK_MS).unref();
  }

  stop(): void {
    clearInterval(this.stallTimer);
    clearInterval(this.starvedTimer);
  }

  private lookForStarvedPulls(): void {
    const wait = this.waits;
    if (!this.waiting || this.starvedAsked === wait || Date.now() - this.waitingSince < STARVED_CHECK_MS) {
      return;
    }
    this.starvedAsked = wait;
    void noPullWaits(this.consumer).then((none) => {
      if (none && this.stillWaiting(wait)) this.replace(STARVED);
    });
  }

  private lookForStall(): void {
    if (!this.waiting || this.stallAsking || Date.now() - this.stallSince < this.stallMs) return;
    const wait = this.waits;
    this.stallAsking = true;
    void holdsMore(this.consumer, this.position()).then((more) => {
      this.stallAsking = false;
      if (!this.stillWaiting(wait)) return;
      if (more) this.replace(`no message for ${this.stallMs} ms while the stream holds more`);
      else this.stallSince = Date.now();
    });
  }

  private stillWaiting(wait: number): boolean {
    return this.waiting && this.waits === wait;
  }
}

/** Whether no pull request of `consumer` waits at the server; an unanswered question counts as no. */
async function noPullWaits(consumer: Consumer): Promise<boolean> {
  try {
    return (await consumer.info()).num_waiting === 0;
  } catch {
    return false;
  }
}

/**
 * Whether the stream holds messages for `consumer` after `position`: ones it has not
 * delivered yet, or ones it delivered that never arrived. A consumer that is gone counts as
 * holding more; an answer that does not come (a busy or restarting server) as not.
 */
async function holdsMore(consumer: Consumer, position: number): Promise<boolean> {
  try {
    const info = await consumer.info();
    return info.num_pending > 0 || info.delivered.stream_seq > position;
  } catch (error) {
    return /consumer not found/i.test((error as Error).message);
  }
}
