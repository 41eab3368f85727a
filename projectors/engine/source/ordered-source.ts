import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { PullBudget } from '../../../shared/clients/pull-budget.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Source } from '../definition/define.ts';
import { ConsumerWatch } from './consumer-watch.ts';
import { type Delivery, deliveryOf } from './delivery.ts';
import { headersOf, type RawHeaders, traceparentOf } from './header-block.ts';
import { ConsumerLost, PullRequests } from './pull-requests.ts';

/** One message off a stream, not yet decoded. */
export interface RawMessage {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
  readonly payload: Uint8Array;
  /**
   * Messages left in the stream (after this one) that match the filter, as the broker counted
   * them: nats-server 2.9's count can stay above zero at the last one (see `lagAfter`).
   */
  readonly pending: number;
  /** The producer's W3C trace context from the message headers, when it sent one. */
  readonly traceparent?: string;
  /** The message's NATS headers, if any (a binary-mode CloudEvent's attributes are there). */
  readonly headers?: RawHeaders;
  /** When the broker stored it, in ms since the epoch (an event without `time` takes it). */
  readonly receivedAt: number;
}

/**
 * Events of a stream are gone before a projection read them (a purge, an age or size limit,
 * a deleted message): the view would silently miss them. Nothing but a fresh history repairs it.
 */
export class StreamGapError extends Error {
  readonly code = 'STREAM_GAP';
}

export interface ReadOptions {
  /** The connection's pull budget: this reader pulls at most its share, in bytes. */
  readonly budget: PullBudget;
  readonly log?: Logger;
  /**
   * How long the reader waits for a message that the stream holds for it before it gives up
   * on its consumer and starts a new one from where it is (default 10 s).
   */
  readonly stallMs?: number;
}

/** Short pull expiries mean heartbeats every few seconds: a restarted server is noticed fast. */
const EXPIRES_MS = 5000;
const IDLE_HEARTBEAT_MS = 1000;
const DEFAULT_STALL_MS = 10_000;
/**
 * Messages per pull request: one request's socket write and server-side handling per this many
 * small messages; large ones are bounded by the reader's share of the pull budget instead.
 */
const PULL_MESSAGES = 1000;
/** How long an ordered consumer left behind (a process that died) outlives its last pull. */
const INACTIVE_THRESHOLD_NS = nanos(5 * 60 * 1000);

/** What a reader needs of a NATS connection (shared/clients/nats.ts's `Nats` has it). */
export interface StreamConnection {
  readonly connection: NatsConnection;
  readonly jsm: JetStreamManager;
}

/**
 * Reads one stream in order from `afterSequence + 1` with an ordered consumer of its own: an
 * ephemeral one the server keeps no durable state for (the position lives with the view), read
 * with pull requests (pull-requests.ts). Messages come in runs, all that arrived together: one
 * turn of the generator per run, not per message. A gap in the consumer's deliveries, a
 * consumer the server lost, or a reconnect makes the reader start a new consumer after the last
 * message it handed on.
 *
 * Each pull asks for bytes, not only messages: at most the reader's share of the connection's
 * pull budget, so events as large as the server takes never pile up more than it lets wait
 * for one connection. A consumer that stops delivering what the stream holds (the connection
 * was cut, as the server does to a slow consumer, and the requests went with it) is
 * replaced by a new one from the last message handed on: the projection never waits for a
 * restart of its process.
 */
export function readOrdered(
  nats: StreamConnection,
  streams: Streams,
  source: Source,
  afterSequence: number,
  signal: AbortSignal,
  options: ReadOptions,
): AsyncGenerator<RawMessage[]> {
  return readOrderedAt(nats, addressOf(streams, source), afterSequence, signal, options);
}

/** Where a source's messages are: what a reader needs of the contract, as plain data (a reader thread gets it so). */
export interface StreamAddress {
  /** The stream's name in the contract (`ORDERS`): the messages' `stream`. */
  readonly stream: string;
  /** Its name in JetStream (namespaced). */
  readonly streamName: string;
  /** The subjects read: the source's filter, or every subject of the stream. */
  readonly subjects: string;
  /** Whether the source reads only some subjects: then sequences skip, and a skip is no gap. */
  readonly filtered: boolean;
}

export function addressOf(streams: Streams, source: Source): StreamAddress {
  return {
    stream: source.stream,
    streamName: streams.streamName(source.stream),
    subjects: subjectsOf(streams, source),
    filtered: source.filter !== undefined,
  };
}

// One object, filled afresh for each message and read before the next: no garbage per message.
const delivery: Delivery = { streamSequence: 0, consumerSequence: 0, pending: 0, storedAtMs: 0 };

/** `readOrdered` of a source by its address. */
export async function* readOrderedAt(
  nats: StreamConnection,
  address: StreamAddress,
  afterSequence: number,
  signal: AbortSignal,
  options: ReadOptions,
): AsyncGenerator<RawMessage[]> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const nextPrefix = `${nats.jsm.getOptions().apiPrefix ?? '$JS.API'}.CONSUMER.MSG.NEXT.${address.streamName}`;
  // The last sequence handed on: a new consumer starts after it.
  let position = afterSequence;
  // Without a filter every sequence of the stream is ours: a skipped one is a lost event.
  let expected = address.filtered ? undefined : afterSequence + 1;
  const share = options.budget.join();
  try {
    while (!signal.aborted) {
      const grant = share.renew();
      const { name } = await nats.jsm.consumers.add(address.streamName, consumerConfig(address, position));
      const pulls = new PullRequests(nats.connection, `${nextPrefix}.${name}`, {
        messages: PULL_MESSAGES,
        bytes: grant.bytes,
        expiresMs: EXPIRES_MS,
        heartbeatMs: IDLE_HEARTBEAT_MS,
      });
      const stalled = new AbortController();
      const watch = new ConsumerWatch(
        () => nats.jsm.consumers.info(address.streamName, name),
        () => position,
        stallMs,
        (reason) => stalled.abort(reason),
      );
      const life = AbortSignal.any([signal, grant.signal, stalled.signal]);
      // The consumer numbers its deliveries from 1: one skipped never arrived (the connection
      // dropped it), and a new consumer must deliver it again.
      let delivered = 0;
      let lost: string | undefined;
      try {
        for await (const arrived of pulls.messages(life)) {
          watch.waitEnds();
          const messages: RawMessage[] = [];
          let gap: StreamGapError | undefined;
          for (const message of arrived) {
            deliveryOf(message, delivery);
            if (delivery.consumerSequence !== ++delivered) {
              lost = `delivery ${delivered} of the consumer never arrived`;
              break;
            }
            if (expected !== undefined) {
              if (delivery.streamSequence !== expected) {
                gap = new StreamGapError(
                  `gap at ${address.stream} seq ${expected}: the stream went on at ${delivery.streamSequence}`,
                );
                break;
              }
              expected++;
            }
            position = delivery.streamSequence;
            const headers = headersOf(message);
            // Every message the same shape (absent fields undefined, no spreads): the code that
            // reads them per message stays monomorphic, and no throwaway objects are made.
            messages.push({
              stream: address.stream,
              sequence: delivery.streamSequence,
              subject: message.subject,
              payload: message.data,
              pending: delivery.pending,
              receivedAt: delivery.storedAtMs,
              headers,
              traceparent: traceparentOf(headers),
            });
          }
          // What came before a lost delivery or a gap is handed on first, as it came.
          if (messages.length > 0) yield messages;
          if (gap) throw gap;
          if (lost) break;
          watch.waitStarts();
        }
      } catch (error) {
        if (!(error instanceof ConsumerLost)) throw error;
        lost = error.message;
      } finally {
        watch.stop();
        pulls.close();
        // Ordered consumers are ephemeral; one left behind would linger on the server until
        // its inactivity threshold.
        void nats.jsm.consumers.delete(address.streamName, name).catch(() => undefined);
      }
      if (!signal.aborted) {
        const reason = String(
          lost ??
            (grant.signal.aborted ? grant.signal.reason : stalled.signal.reason) ??
            'the consumer ended',
        );
        options.log?.info(
          { stream: address.stream, position, reason },
          'stream reader starts a new consumer',
        );
      }
    }
  } finally {
    share.leave();
  }
}

/** An ephemeral consumer that delivers `address`'s messages after `position`, unacknowledged. */
function consumerConfig(address: StreamAddress, position: number): Partial<ConsumerConfig> {
  return {
    // A source that reads the whole stream gives no filter, though its stream's subjects
    // would select the same messages: nats-server 2.9 counts a filtered consumer's pending
    // messages by scanning the stream from its position, at its creation and at every info
    // (ConsumerWatch's questions): 42-51 ms of its CPU each at the start of 800,000
    // messages, against nothing unfiltered, which kept it a core busy in a 1M-event rebuild.
    ...(address.filtered ? { filter_subject: address.subjects } : {}),
    ...(position > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: position + 1 }
      : { deliver_policy: DeliverPolicy.All }),
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: INACTIVE_THRESHOLD_NS,
  };
}

/** The subjects a source reads: its filter in the installation's namespace, else the whole stream's. */
export function subjectsOf(streams: Streams, source: Source): string {
  return source.filter
    ? `${streams.namespace ? `${streams.namespace}.` : ''}${source.filter}`
    : streams.subjects(source.stream);
}
