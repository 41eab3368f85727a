import { JetStreamApiError, type JetStreamClient, JetStreamError, type PubAck } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import {
  ClosedConnectionError,
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  NoRespondersError,
  RequestError,
  type Subscription,
  TimeoutError,
} from '@nats-io/transport-node';

/** nats.js's own default for a JetStream client's request timeout. */
const DEFAULT_TIMEOUT_MS = 5000;

/** How often acknowledgements past their timeout are looked for (a timeout fires up to this late). */
const SWEEP_MS = 100;

interface Pending {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: Error) => void;
  readonly subject: string;
  readonly deadline: number;
}

/**
 * JetStream publishes whose acknowledgements all come back on one subscription of the
 * connection, as the Go client's asynchronous publish does, instead of one request each.
 *
 * `js.publish` in nats.js 3 sends every publish as a request: a timer, a promise and a
 * subscription entry of its own, a copy of its options, and after the answer an Error built with
 * its stack (`RequestOne.cancel`). `publishMany` spent 76–94 µs of CPU per event that way and
 * 31–35 µs with this (`bench/publish.ts`: 50,000 demo events, 2,000 in flight; bench/README.md). Here each publish
 * is one `publish` with a reply subject under this publisher's inbox; a token in that subject
 * finds its pending entry, and one timer, running only while something is pending, fails those
 * past their deadline. Acknowledgements are settled as `js.publish` settles them, with nats.js's
 * own errors: a refusal is a `JetStreamApiError` (its `code` JetStream's), no responder a
 * `JetStreamNotEnabled`, no answer in time a `TimeoutError`, a connection closed for good a
 * `ClosedConnectionError`; a publish the client refuses (a payload over the server's limit, a
 * closed connection) throws as `publish` does.
 */
export class AckedPublisher {
  private readonly prefix = `${createInbox()}.`;
  private readonly pending = new Map<string, Pending>();
  private subscription: Subscription | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(
    private readonly connection: NatsConnection,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    void connection.closed().then(() => this.failAll(new ClosedConnectionError()));
  }

  /** Publishes `payload` on `subject` and resolves with JetStream's acknowledgement. */
  publish(subject: string, payload: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    this.subscription ??= this.connection.subscribe(`${this.prefix}*`, {
      callback: (error, msg) => {
        if (!error) return this.settle(msg);
        // The server ended the subscription (a permission refused): the next publish makes another.
        this.subscription = undefined;
        this.failAll(error);
      },
    });
    const token = (this.next++).toString(36);
    // Sent first: a publish the client refuses throws here, with nothing left pending.
    this.connection.publish(subject, payload, { reply: this.prefix + token, headers });
    const acked = new Promise<PubAck>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, subject, deadline: performance.now() + this.timeoutMs });
    });
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return acked;
  }

  /** Publishes waiting for their acknowledgement (for tests). */
  get waiting(): number {
    return this.pending.size;
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const pending = this.pending.get(token);
    // An answer after its timeout: nobody waits for it any more.
    if (pending === undefined) return;
    this.pending.delete(token);
    try {
      pending.resolve(acknowledgement(msg, pending.subject));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  /** Fails, in sending order, the publishes past their deadline (every deadline is sent + timeout). */
  private sweep(): void {
    const now = performance.now();
    for (const [token, pending] of this.pending) {
      if (pending.deadline > now) break;
      this.pending.delete(token);
      pending.reject(new TimeoutError());
    }
    if (this.pending.size === 0) this.stopSweeping();
  }

  private failAll(error: Error): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    this.stopSweeping();
    for (const pending of failed) pending.reject(error);
  }

  private stopSweeping(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** JetStream's answer to a publish, read as `js.publish` reads it. */
function acknowledgement(msg: Msg, subject: string): PubAck {
  if (msg.headers?.hasError) {
    if (msg.headers.code === 503) {
      const noResponders = new RequestError(`no responders: '${subject}'`, {
        cause: new NoRespondersError(subject),
      });
      throw new jserrors.JetStreamNotEnabled('jetstream is not enabled', { cause: noResponders });
    }
    throw new RequestError(`${msg.headers.code} ${msg.headers.description}`);
  }
  const answer = msg.json<Partial<PubAck> & { error?: ConstructorParameters<typeof JetStreamApiError>[0] }>();
  if (answer.error) throw new JetStreamApiError(answer.error);
  if (!answer.stream) throw new JetStreamError('invalid ack response');
  return { ...answer, duplicate: answer.duplicate ?? false } as PubAck;
}

const publishers = new WeakMap<JetStreamClient, AckedPublisher | null>();

/**
 * The publisher for a JetStream client made by `jetstream(nc)`, with its timeout; null for a
 * client that does not show its connection (a wrapper of the caller's), which then publishes
 * through `js.publish`. nats.js keeps the connection on the client (`nc`), not in its interface.
 */
export function ackedPublisherFor(js: JetStreamClient): AckedPublisher | null {
  let publisher = publishers.get(js);
  if (publisher === undefined) {
    const { nc } = js as { nc?: Partial<NatsConnection> };
    const usable = typeof nc?.publish === 'function' && typeof nc.subscribe === 'function';
    publisher = usable ? new AckedPublisher(nc as NatsConnection, js.getOptions().timeout) : null;
    publishers.set(js, publisher);
  }
  return publisher;
}
