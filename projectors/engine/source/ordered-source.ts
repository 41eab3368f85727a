import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { PullBudget } from '../../../shared/clients/pull-budget.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Source } from '../definition/define.ts';
import { ConsumerWatch, STARVED } from './consumer-watch.ts';
import { headersOf, type RawHeaders, traceparentOf } from './header-block.ts';

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
/**
 * The client re-pulls by itself after two missed heartbeats. A pull ends early when its next
 * message does not fit the bytes it has left, and then nats.js may wait for exactly that
 * (ConsumerWatch sees to it sooner).
 */
const IDLE_HEARTBEAT_MS = 1000;
const DEFAULT_STALL_MS = 10_000;
/**
 * nats.js caps a pull limited by bytes at 100 messages, and by default asks for more while 75 are
 * still on their way: one pull request every 25 messages, each a socket write here and a request
 * nats-server handles, which for small events cost about a quarter of a reader's CPU and a third
 * of nats-server's (bench/README.md, issue 24). Asking again only once 20 are left keeps the
 * consumer fed with a pull every 80 messages.
 */
const REFILL_AT_MESSAGES = 20;

/**
 * Reads one stream in order from `afterSequence + 1` with a JetStream ordered consumer: the
 * server keeps no durable state for us (the position lives with the view), and a gap
 * or a lost consumer makes the client recreate it at the right sequence.
 *
 * Each pull asks for bytes, not only messages: at most the reader's share of the connection's
 * pull budget, so events as large as the server takes never pile up more than it lets wait
 * for one connection. A consumer that stops delivering what the stream holds (the connection
 * was cut, as the server does to a slow consumer, and the client did not recover it) is
 * replaced by a new one from the last message handed on: the projection never waits for a
 * restart of its process.
 */
export function readOrdered(
  js: JetStreamClient,
  streams: Streams,
  source: Source,
  afterSequence: number,
  signal: AbortSignal,
  options: ReadOptions,
): AsyncGenerator<RawMessage> {
  return readOrderedAt(js, addressOf(streams, source), afterSequence, signal, options);
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

/** `readOrdered` of a source by its address. */
export async function* readOrderedAt(
  js: JetStreamClient,
  address: StreamAddress,
  afterSequence: number,
  signal: AbortSignal,
  options: ReadOptions,
): AsyncGenerator<RawMessage> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  // The last sequence handed on: a new consumer starts after it.
  let position = afterSequence;
  // Without a filter every sequence of the stream is ours: a skipped one is a lost event.
  let expected = address.filtered ? undefined : afterSequence + 1;
  const share = options.budget.join();
  try {
    while (!signal.aborted) {
      const grant = share.renew();
      const consumer = await js.consumers.get(address.streamName, {
        // A source that reads the whole stream gives no filter, though its stream's subjects
        // would select the same messages: nats-server 2.9 counts a filtered consumer's pending
        // messages by scanning the stream from its position, at its creation and at every info
        // (ConsumerWatch's questions): 42-51 ms of its CPU each at the start of 800,000
        // messages, against nothing unfiltered, which kept it a core busy in a 1M-event rebuild.
        ...(address.filtered ? { filter_subjects: address.subjects } : {}),
        ...(position > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: position + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      });
      const messages = await consumer.consume({
        max_bytes: grant.bytes,
        // Ask for more as soon as the largest message fits again.
        threshold_bytes: grant.bytes - options.budget.messageBytes,
        threshold_messages: REFILL_AT_MESSAGES,
        idle_heartbeat: IDLE_HEARTBEAT_MS,
        expires: EXPIRES_MS,
      });
      const stalled = new AbortController();
      const watch = new ConsumerWatch(
        consumer,
        () => position,
        stallMs,
        (reason) => stalled.abort(reason),
      );
      void watchNotices(messages, address.stream, () => watch.cutShort(), options.log);
      const life = AbortSignal.any([signal, grant.signal, stalled.signal]);
      const stop = () => void messages.close();
      // An abort while the consumer was being set up has fired already: a listener added now
      // would never run, and on a quiet stream the loop below would wait for the next message.
      // (Closing ends the iteration below; awaiting close() before iterating would never return.)
      if (life.aborted) stop();
      else life.addEventListener('abort', stop, { once: true });
      try {
        for await (const message of messages) {
          watch.waitEnds();
          if (expected !== undefined) {
            if (message.seq !== expected) {
              throw new StreamGapError(
                `gap at ${address.stream} seq ${expected}: the stream went on at ${message.seq}`,
              );
            }
            expected++;
          }
          position = message.seq;
          const { info } = message;
          const headers = headersOf(message);
          // Every message the same shape (absent fields undefined, no spreads): the code that
          // reads them per message stays monomorphic, and no throwaway objects are made.
          yield {
            stream: address.stream,
            sequence: message.seq,
            subject: message.subject,
            payload: message.data,
            pending: info.pending,
            receivedAt: info.timestampNanos / 1e6,
            headers,
            traceparent: traceparentOf(headers),
          };
          watch.waitStarts();
        }
      } finally {
        watch.stop();
        life.removeEventListener('abort', stop);
        await messages.close();
        // Ordered consumers are ephemeral; one left behind would linger on the server until
        // its inactivity threshold.
        void consumer.delete().catch(() => undefined);
      }
      if (!signal.aborted) {
        const reason = String(
          (grant.signal.aborted ? grant.signal.reason : stalled.signal.reason) ?? 'the consumer ended',
        );
        // Starved pulls are the broker's and client's routine, not news for an operator.
        options.log?.[reason === STARVED ? 'debug' : 'info'](
          { stream: address.stream, position, reason },
          'stream reader starts a new consumer',
        );
      }
    }
  } finally {
    share.leave();
  }
}

/** The subjects a source reads: its filter in the installation's namespace, else the whole stream's. */
export function subjectsOf(streams: Streams, source: Source): string {
  return source.filter
    ? `${streams.namespace ? `${streams.namespace}.` : ''}${source.filter}`
    : streams.subjects(source.stream);
}

/**
 * Follows the consumer's notices: a pull that ran out of bytes calls `cutShort`; the ones worth
 * a look when flow is in question are logged at debug, the routine ones left out.
 */
async function watchNotices(
  messages: ConsumerMessages,
  stream: string,
  cutShort: () => void,
  log?: Logger,
): Promise<void> {
  const routine = new Set(['next', 'heartbeat', 'discard', 'debug', 'exceeded_limits']);
  const debug = log?.isLevelEnabled('debug');
  for await (const notice of messages.status()) {
    if (notice.type === 'exceeded_limits' && /message size exceeds maxbytes/i.test(notice.description)) {
      cutShort();
    }
    if (debug && !routine.has(notice.type)) log?.debug({ stream, notice }, 'stream consumer notice');
  }
}
