import {
  createInbox,
  type Msg,
  type NatsConnection,
  nanos,
  type Subscription,
} from '@nats-io/transport-node';

/** What each pull request of a consumer asks the server for. */
export interface PullLimits {
  /** Messages per request. */
  readonly messages: number;
  /** Bytes per request: the reader's share of its connection's pull budget. */
  readonly bytes: number;
  readonly expiresMs: number;
  /** How often the server says an open request still waits when it has nothing to send. */
  readonly heartbeatMs: number;
}

/**
 * Why the consumer's messages stop: the server deleted it, or stopped answering for it. The
 * reader starts a new consumer from the last message it handed on.
 */
export class ConsumerLost extends Error {}

/** A request the server has not finished: how many messages it may still send for it. */
interface OpenRequest {
  readonly id: number;
  left: number;
  /** When the server last sent anything for it (a message or a heartbeat). */
  heard: number;
}

/** Silence this many heartbeats long means the request is gone (a cut connection, a restarted server). */
const MISSED_HEARTBEATS = 3;

/**
 * The messages of one pull consumer, asked for with JetStream pull requests sent here one at a
 * time, each on a reply subject of its own. nats.js's `consume` caps a pull limited by bytes at
 * 100 messages and pulls again while 20 are on their way: a pull request (a socket write here,
 * a request handled by nats-server) every 80 messages, which was 7% of a catch-up's main thread
 * and a third of nats-server's CPU (bench/README.md, issue 23). It also counts the unused bytes
 * of a pull that ended by its count as still on their way, so later pulls asked for ever fewer
 * bytes and could be cut short with nothing else asked for (ConsumerWatch looked for that).
 *
 * Here one request is open at a time and the next is sent once the one before has ended (its
 * count received, or the server's 408 at expiry or 409 when the next message would exceed its
 * bytes) and the caller, back for more, leaves at most half a request's worth waiting. A
 * delivered message does not say which request it answers (the server's notices do): with one
 * open, every count is exact. Nothing arrives faster than the caller takes it, beyond one
 * request's worth besides the run the caller holds.
 */
export class PullRequests {
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  /** Messages received and not yet handed to the caller. */
  private received: Msg[] = [];
  private open: OpenRequest | undefined;
  private nextId = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly heartbeatCheck: NodeJS.Timeout;
  private lastCheck = Date.now();

  constructor(
    private readonly connection: NatsConnection,
    /** `<api prefix>.CONSUMER.MSG.NEXT.<stream>.<consumer>` */
    private readonly nextSubject: string,
    private readonly limits: PullLimits,
  ) {
    this.subscription = connection.subscribe(`${this.inbox}.*`, {
      callback: (error, message) => (error ? this.fail(error) : this.receive(message)),
    });
    // Unref'd: a reader abandoned without its finally must not keep the process alive.
    this.heartbeatCheck = setInterval(() => this.checkHeartbeats(), limits.heartbeatMs).unref();
  }

  /**
   * The consumer's messages, in the order the server sent them, until `signal` aborts: each
   * time, all that arrived since the caller last asked (what one or more socket reads brought),
   * so that a message costs no turn of an async generator of its own. Throws ConsumerLost when
   * the consumer must be replaced, and any other error for a request the server refused (a bad
   * request: a defect, not a condition to wait out).
   */
  async *messages(signal: AbortSignal): AsyncGenerator<Msg[]> {
    const wake = () => this.wake?.();
    signal.addEventListener('abort', wake);
    try {
      while (!signal.aborted) {
        if (this.received.length > 0) {
          const arrived = this.received;
          this.received = [];
          yield arrived;
          this.askIfDue();
          continue;
        }
        if (this.failure) throw this.failure;
        this.askIfDue();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', wake);
    }
  }

  /**
   * Asks for the next request's worth once none is open and at most half of the last waits to
   * be taken. What the caller took it holds until it asks again: a caller that waits (its own
   * queue full) has nothing asked for meanwhile.
   */
  private askIfDue(): void {
    if (this.open || this.failure || this.received.length > this.limits.messages / 2) return;
    const id = this.nextId++;
    this.open = { id, left: this.limits.messages, heard: Date.now() };
    this.connection.publish(
      this.nextSubject,
      JSON.stringify({
        batch: this.limits.messages,
        max_bytes: this.limits.bytes,
        expires: nanos(this.limits.expiresMs),
        idle_heartbeat: nanos(this.limits.heartbeatMs),
      }),
      { reply: `${this.inbox}.${id}` },
    );
  }

  close(): void {
    clearInterval(this.heartbeatCheck);
    this.subscription.unsubscribe();
    this.wake?.();
  }

  private receive(message: Msg): void {
    // A stream's message comes with the subject it was stored under and an ack subject as its
    // reply; the server's notices about a request come on the request's own reply subject.
    if (message.subject.startsWith(this.inbox)) this.notice(message);
    else {
      this.received.push(message);
      const open = this.open;
      if (open) {
        open.heard = Date.now();
        if (--open.left === 0) this.open = undefined;
      }
      this.wake?.();
    }
  }

  /** A status from the server about one request: a heartbeat, or why it ended. */
  private notice(message: Msg): void {
    const open = this.open;
    // A notice about a request that ended already, as far as this side counts.
    if (!open || message.subject !== `${this.inbox}.${open.id}`) return;
    const code = message.headers?.code ?? 0;
    const description = message.headers?.description ?? '';
    open.heard = Date.now();
    if (code === 100) return;
    this.open = undefined;
    // 408: expired (or the server has as many requests waiting as it keeps); 404: nothing to
    // send now; 409 for the next message's size or a new consumer leader: the request ended, the
    // next is asked for as usual.
    if (
      code === 408 ||
      code === 404 ||
      (code === 409 && /message size exceeds maxbytes|leadership change/i.test(description))
    ) {
      this.askIfWaiting();
    } else if (code === 503 || (code === 409 && /consumer deleted/i.test(description))) {
      this.fail(new ConsumerLost(`${code} ${description}`));
    } else {
      this.fail(new Error(`the server refused a pull request: ${code} ${description}`));
    }
  }

  /** A request that ended while the caller waits for messages is followed by the next at once. */
  private askIfWaiting(): void {
    if (this.wake) this.wake();
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    // Timers run before the loop reads its sockets: after a stall of the loop itself (a busy
    // machine, a long batch), what the server sent meanwhile has not been read yet.
    const stalled = now - this.lastCheck > 2 * this.limits.heartbeatMs;
    this.lastCheck = now;
    const open = this.open;
    if (!open) return;
    if (stalled) open.heard = now;
    else if (now - open.heard > MISSED_HEARTBEATS * this.limits.heartbeatMs) {
      this.fail(new ConsumerLost(`no word from the server for ${MISSED_HEARTBEATS} heartbeats`));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}
