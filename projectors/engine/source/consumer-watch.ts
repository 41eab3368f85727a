import type { ConsumerInfo } from '@nats-io/jetstream';

/**
 * Watches the waits of one reader for its consumer's next message, for a stall: the connection
 * was cut (as the server does to a slow consumer) or the consumer no longer delivers, and the
 * server still answers, so neither the reconnect nor the pull requests' heartbeats tell. After
 * `stallMs` of waiting, and again every `stallMs` of the same wait, the server is asked whether
 * the stream holds more for the consumer than it delivered; if so, `replace` is called with the
 * reason.
 *
 * One wait is one clock read: the reader calls `waitStarts` after each message it hands on and
 * `waitEnds` when the next one comes. An answer that arrives after the wait ended is ignored.
 */
export class ConsumerWatch {
  private waiting = false;
  /** Counts waits, so that an answer is matched to the wait it was asked for. */
  private waits = 0;
  /** Since when the stall clock runs: the start of the wait, or the last answer that found nothing. */
  private stallSince = 0;
  private stallAsking = false;
  private readonly stallTimer: NodeJS.Timeout;

  constructor(
    /** Asks the server about the consumer. */
    private readonly info: () => Promise<ConsumerInfo>,
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
    this.stallSince = Date.now();
  }

  /** The message came. */
  waitEnds(): void {
    this.waiting = false;
  }

  stop(): void {
    clearInterval(this.stallTimer);
  }

  private lookForStall(): void {
    if (!this.waiting || this.stallAsking || Date.now() - this.stallSince < this.stallMs) return;
    const wait = this.waits;
    this.stallAsking = true;
    void holdsMore(this.info, this.position()).then((more) => {
      this.stallAsking = false;
      if (!(this.waiting && this.waits === wait)) return;
      if (more) {
        // Replaced once: the reader stops this consumer and its watch.
        this.stop();
        this.replace(`no message for ${this.stallMs} ms while the stream holds more`);
      } else this.stallSince = Date.now();
    });
  }
}

/**
 * Whether the stream holds messages for `consumer` after `position`: ones it has not
 * delivered yet, or ones it delivered that never arrived. A consumer that is gone counts as
 * holding more; an answer that does not come (a busy or restarting server) as not.
 */
async function holdsMore(ask: () => Promise<ConsumerInfo>, position: number): Promise<boolean> {
  try {
    const info = await ask();
    return info.num_pending > 0 || info.delivered.stream_seq > position;
  } catch (error) {
    return /consumer not found/i.test((error as Error).message);
  }
}
