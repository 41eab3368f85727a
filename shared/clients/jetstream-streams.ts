import { type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { STREAM_NAMES, type StreamName, type Streams } from '../events/streams.ts';

/** How long JetStream remembers a `Nats-Msg-Id` to drop a re-published duplicate. */
const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;

/**
 * Creates the contract's streams, or updates them to this configuration; safe to run on
 * every start. File storage so the log survives a broker restart.
 */
export async function ensureStreams(jsm: JetStreamManager, streams: Streams): Promise<void> {
  for (const stream of STREAM_NAMES) {
    const config = {
      name: streams.streamName(stream),
      subjects: [streams.subjects(stream)],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: DUPLICATE_WINDOW_NS,
    };
    const exists = await jsm.streams.info(config.name).then(
      () => true,
      (error: Error) => {
        if (/stream not found/i.test(error.message)) return false;
        throw error;
      },
    );
    if (exists) await jsm.streams.update(config.name, config);
    else await jsm.streams.add(config);
  }
}

/** The last sequence of each stream: the head a projection is catching up to. */
export async function streamHeads(
  jsm: JetStreamManager,
  streams: Streams,
  names: readonly StreamName[] = STREAM_NAMES,
): Promise<Record<StreamName, number>> {
  const heads = {} as Record<StreamName, number>;
  for (const stream of names) {
    const info = await jsm.streams.info(streams.streamName(stream));
    heads[stream] = info.state.last_seq;
  }
  return heads;
}

/** Removes a namespace's streams (tests clean up after themselves). */
export async function deleteStreams(jsm: JetStreamManager, streams: Streams): Promise<void> {
  for (const stream of STREAM_NAMES) {
    await jsm.streams.delete(streams.streamName(stream)).catch(() => undefined);
  }
}

/**
 * When the message at `sequence` was stored: for the first event after a position, how long
 * the projection's oldest pending work has waited. Undefined when there is no such message
 * (purged, or beyond the head). Messages are immutable, so answers may be cached by sequence.
 */
export async function storedAt(
  jsm: JetStreamManager,
  streamName: string,
  sequence: number,
): Promise<Date | undefined> {
  const message = await jsm.streams.getMessage(streamName, { seq: sequence }).catch((error: Error) => {
    if (/no message found|not found/i.test(error.message)) return null;
    throw error;
  });
  return message ? message.time : undefined;
}

/**
 * A memo of `storedAt` for readers that ask again and again about the same positions (status
 * feeds re-read every few seconds, and a stalled projection's position does not move).
 */
export function storedAtMemo(
  jsm: JetStreamManager,
  streams: Pick<Streams, 'streamName'>,
): (stream: StreamName, sequence: number) => Promise<Date | undefined> {
  const known = new Map<string, Date>();
  return async (stream, sequence) => {
    const key = `${stream}#${sequence}`;
    const hit = known.get(key);
    if (hit) return hit;
    const at = await storedAt(jsm, streams.streamName(stream), sequence);
    if (at) {
      if (known.size >= 1000) known.clear();
      known.set(key, at);
    }
    return at;
  };
}
