import type { Consumer } from '@nats-io/jetstream';

/**
 * How long the reader waits, once a pull of its consumer was cut short, before it asks the
 * server whether any pull of the consumer is still open there. The question (consumer info)
 * costs nats-server a few ms on a large stream: at 25 ms a catch-up of 48k events asked it 59
 * times and nats-server's CPU per event rose by a third; at 50 ms, 12 times and no measurable
 * cost.
 */
export const STARVED_CHECK_MS = 50;

/**
 * nats.js counts what it has asked for and not received, and asks again once little is left.
 * A pull that ends by its message count leaves its unused bytes counted for good, so its
 * refills ask for ever fewer bytes; when the next messages are larger, the server ends such a
 * pull early (409 Message Size Exceeds MaxBytes). From then on nats.js may believe a pull is
 * open that is not, and asks again only after two missed heartbeats: the reader stood still for
 * 2-3 s, on a live tail right after such an end (a freshness probe in a hundred at 1k
 * events/s) and in catch-up some messages later (raw reads in 2 of 3 bench repetitions; a
 * check right after the end alone missed those), issue 23.
 *
 * So once a pull of a consumer was cut short, each wait of the reader that lasts
 * STARVED_CHECK_MS is looked into, once: if no pull of the consumer waits at the server (and
 * the reader is still waiting), `starved` is called and the reader starts a new consumer. A
 * pull that waits there brings the next message, so one question per wait is enough.
 */
export class StarvedPulls {
  private timer: NodeJS.Timeout | undefined;
  private waits = 0;
  private waiting = false;
  private waitingSince = 0;
  private asked = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly starved: () => void,
  ) {}

  /** A pull was cut short: from now on, long waits are looked into. */
  cutShort(): void {
    // Unref'd: a reader abandoned without its finally must not keep the process alive.
    this.timer ??= setInterval(() => this.look(), STARVED_CHECK_MS).unref();
  }

  /** The reader waits for the consumer's next message. */
  waitStarts(): void {
    this.waits++;
    this.waiting = true;
    this.waitingSince = Date.now();
  }

  /** The message came. */
  waitEnds(): void {
    this.waiting = false;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    if (!this.waiting || this.asked === this.waits || Date.now() - this.waitingSince < STARVED_CHECK_MS) {
      return;
    }
    const wait = this.waits;
    this.asked = wait;
    void noPullWaits(this.consumer).then((none) => {
      if (none && this.waiting && this.waits === wait) this.starved();
    });
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
