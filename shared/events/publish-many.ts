import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import {
  DEFAULT_PUBLISH_RETRY_MS,
  type OutgoingEvent,
  publishBackoffMs,
  publishOnce,
  retryablePublishError,
  wrongPredecessor,
} from './publish.ts';
import type { Streams } from './streams.ts';

export interface PublishReport {
  readonly published: number;
  /** Highest sequence acknowledged per stream: what a reader waits for to see everything. */
  readonly lastSequence: Partial<Record<string, number>>;
  /** Times publishing paused on a failure (timeout, lost connection) and resumed. */
  readonly retries: number;
}

export interface PublishManyOptions {
  /** Most acknowledgements outstanding (default 2000). */
  readonly window?: number;
  readonly onProgress?: (published: number) => void;
  /**
   * How long one failure may be retried before publishMany gives up (default 60 s). It must
   * stay below the streams' duplicate window (120 s by default): within it a resent event that
   * was already stored is dropped by its `Nats-Msg-Id`.
   */
  readonly retryForMs?: number;
  /**
   * Whether this call is the only publisher of its streams while it runs (default true). Then
   * each event is published expecting its predecessor in the stream as the stream's last
   * message, so that an event lost in a failure stops the ones after it from landing before it.
   * Other publishers on the same streams would make those expectations fail: pass false, and
   * order after a failure is then only as good as the connection's.
   */
  readonly exclusive?: boolean;
}

interface Pending {
  readonly event: OutgoingEvent;
  readonly stream: string;
  /** The id of the event before it in the same stream, in this call. */
  readonly previousId: string | undefined;
  acked: boolean;
}

/**
 * Publishes events with up to `window` acknowledgements outstanding: asynchronous acks keep
 * the connection full, while the bound keeps memory flat. Events of one stream land in the
 * order given, also across a broker restart: when a publish times out or loses its
 * connection, publishing pauses, waits for what is in flight, and resumes each stream from its
 * first unacknowledged event; `Nats-Msg-Id` deduplication drops those the broker had stored,
 * and (with `exclusive`) the expected-predecessor check keeps any event from landing before one
 * that was lost. Gives up, throwing the error, when one failure lasts over `retryForMs`.
 *
 * ```ts
 * const report = await publishMany(js, streams, demoHistory({ events: 10_000, seed: 1 }));
 * console.log(report.published, report.lastSequence.ORDERS);
 * ```
 */
export async function publishMany(
  js: JetStreamClient,
  streams: Streams,
  events: Iterable<OutgoingEvent>,
  options: PublishManyOptions = {},
): Promise<PublishReport> {
  const window = options.window ?? 2000;
  const retryForMs = options.retryForMs ?? DEFAULT_PUBLISH_RETRY_MS;
  const exclusive = options.exclusive ?? true;
  const lastSequence: Partial<Record<string, number>> = {};
  const lastIdOf = new Map<string, string>();
  // Sent and not yet acknowledged with all before it, in sending order, per stream.
  const unacked = new Map<string, Pending[]>();
  const inFlight = new Set<Promise<void>>();
  let published = 0;
  let retries = 0;
  let failure: unknown;
  let permanent = false;
  let failingSince: number | undefined;
  let attempt = 0;

  const send = (pending: Pending) => {
    const expect = exclusive ? pending.previousId : undefined;
    const ack: Promise<void> = publishOnce(js, streams, pending.event, expect).then(
      (pubAck: PubAck) => {
        inFlight.delete(ack);
        pending.acked = true;
        // Progress: a failure after this one gets its own retryForMs.
        failingSince = undefined;
        attempt = 0;
        lastSequence[pending.stream] = Math.max(lastSequence[pending.stream] ?? 0, pubAck.seq);
        const queue = unacked.get(pending.stream) ?? [];
        let done = 0;
        while (queue[done]?.acked) done++;
        if (done > 0) queue.splice(0, done);
        published += done;
        if (done > 0 && Math.floor(published / 10_000) !== Math.floor((published - done) / 10_000)) {
          options.onProgress?.(published);
        }
      },
      (error: unknown) => {
        inFlight.delete(ack);
        if (!retryablePublishError(error) && !wrongPredecessor(error)) permanent = true;
        // The first error of a failure names it; a wrong predecessor only follows from it.
        if (failure === undefined || (wrongPredecessor(failure) && !wrongPredecessor(error))) failure = error;
      },
    );
    inFlight.add(ack);
  };

  /** After a failure: every stream's unacknowledged events, from the first, in their order. */
  const resend = async (): Promise<void> => {
    await Promise.all(inFlight);
    const error = failure;
    failure = undefined;
    failingSince ??= Date.now();
    attempt++;
    const wait = publishBackoffMs(attempt);
    if (permanent || Date.now() + wait - failingSince > retryForMs) throw error;
    // Refused predecessors with no timeout or lost connection behind them: the stream's last
    // message is not this call's, so another publisher writes the same stream.
    if (wrongPredecessor(error)) {
      throw new Error(
        'another publisher wrote to a stream while publishMany ran with exclusive: true; pass exclusive: false for concurrent publishers',
        { cause: error },
      );
    }
    retries++;
    await new Promise((resolve) => setTimeout(resolve, wait));
    for (const queue of [...unacked.values()]) {
      // A copy: acknowledgements of the resent events take them off the queue meanwhile.
      for (const pending of [...queue]) {
        pending.acked = false;
        send(pending);
        if (inFlight.size >= window) await Promise.race(inFlight);
        if (failure !== undefined) return;
      }
    }
  };

  const settle = async (): Promise<void> => {
    while (failure !== undefined) await resend();
  };

  for (const event of events) {
    const stream = event.eventType.stream;
    const pending: Pending = { event, stream, previousId: lastIdOf.get(stream), acked: false };
    lastIdOf.set(stream, event.id);
    const queue = unacked.get(stream);
    if (queue) queue.push(pending);
    else unacked.set(stream, [pending]);
    send(pending);
    if (inFlight.size >= window) await Promise.race(inFlight);
    if (failure !== undefined) await settle();
  }
  await Promise.all(inFlight);
  while (failure !== undefined) {
    await settle();
    await Promise.all(inFlight);
  }
  return { published, lastSequence, retries };
}
