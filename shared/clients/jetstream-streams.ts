import {
  DiscardPolicy,
  type JetStreamManager,
  type MsgRequest,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { StreamDefinition, Streams } from '../events/streams.ts';
import type { Logger } from '../log.ts';

const NS_PER_SECOND = 1_000_000_000;
/** JetStream's own default, stated: the window in which a re-published `Nats-Msg-Id` is dropped. */
export const DEFAULT_DUPLICATE_WINDOW_SECONDS = 120;

/** The JetStream configuration Vista creates a missing stream with. */
export function streamConfig(
  streams: Streams,
  definition: StreamDefinition,
): Partial<StreamConfig> & { name: string } {
  return {
    name: streams.streamName(definition.name),
    subjects: [streams.subjects(definition.name)],
    storage: definition.storage === 'memory' ? StorageType.Memory : StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: definition.replicas ?? 1,
    max_age: (definition.maxAgeSeconds ?? 0) * NS_PER_SECOND,
    duplicate_window: (definition.duplicateWindowSeconds ?? DEFAULT_DUPLICATE_WINDOW_SECONDS) * NS_PER_SECOND,
  };
}

/** One way an existing stream differs from its definition. */
export interface StreamDifference {
  readonly stream: string;
  readonly setting: string;
  readonly want: string;
  readonly have: string;
  /** A stream whose subjects do not cover the contract's would lose events: start-up stops. */
  readonly fatal: boolean;
}

export class StreamSettingsError extends Error {
  readonly code = 'STREAM_SETTINGS';
}

/**
 * Creates the contract's missing streams; an existing stream is never changed (it may be
 * owned by an operator or by the services that publish to it). Settings that differ from the
 * definition are reported by stream and setting; subjects that do not cover the contract's
 * stop start-up, since events would be published where no stream keeps them.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: Streams,
  log?: Logger,
): Promise<StreamDifference[]> {
  const differences: StreamDifference[] = [];
  for (const name of streams.names) {
    const want = streamConfig(streams, streams.definition(name));
    const info = await jsm.streams.info(want.name).catch((error: Error) => {
      if (/stream not found/i.test(error.message)) return undefined;
      throw error;
    });
    if (!info) {
      await jsm.streams.add(want);
      continue;
    }
    differences.push(...compareStream(want, info.config));
  }
  for (const d of differences.filter((d) => !d.fatal))
    log?.warn(
      d,
      `stream ${d.stream} differs from the contract: ${d.setting} is ${d.have}, the contract says ${d.want}`,
    );
  const fatal = differences.filter((d) => d.fatal);
  if (fatal.length > 0)
    throw new StreamSettingsError(
      `${fatal
        .map((d) => `stream ${d.stream}: ${d.setting} is ${d.have}, the contract needs ${d.want}`)
        .join(
          '; ',
        )} (an existing stream is never changed: widen its subjects, or set VISTA_NAMESPACE to use other streams)`,
    );
  return differences;
}

/** A stream's limits, each with its "no limit" value as JetStream reports it. */
const LIMITS = [
  ['max_msgs', -1],
  ['max_bytes', -1],
  ['max_age', 0],
  ['max_msgs_per_subject', -1],
  ['max_msg_size', -1],
  ['discard', DiscardPolicy.Old],
] as const satisfies readonly (readonly [keyof StreamConfig, unknown])[];

/**
 * For process entry points: awaits `work`; streams that cannot serve the contract (a
 * StreamSettingsError) are one line on stderr, naming each stream, and exit status 78
 * (EX_CONFIG), not an uncaught stack.
 */
export async function orExitStreamSettings<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof StreamSettingsError)) throw error;
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(78);
  }
}

/** How an existing stream's configuration differs from the one Vista would create. */
export function compareStream(
  want: Partial<StreamConfig> & { name: string },
  have: Partial<StreamConfig>,
): StreamDifference[] {
  const differences: StreamDifference[] = [];
  const differ = (setting: string, wanted: unknown, had: unknown, fatal = false) => {
    if (String(wanted) !== String(had))
      differences.push({ stream: want.name, setting, want: String(wanted), have: String(had), fatal });
  };
  const needed = want.subjects?.[0] ?? '';
  const covered = (have.subjects ?? []).some((filter) => filterCovers(filter, needed));
  if (!covered) differ('subjects', needed, (have.subjects ?? []).join(','), true);
  differ('storage', want.storage, have.storage);
  differ('retention', want.retention, have.retention);
  differ('num_replicas', want.num_replicas, have.num_replicas);
  differ('duplicate_window (ns)', want.duplicate_window, have.duplicate_window);
  // Limits remove events a projection may not have read yet (a rebuild then meets a gap):
  // every one that differs from Vista's (none: -1, or 0 for max_age) is reported.
  for (const [setting, none] of LIMITS) {
    differ(setting === 'max_age' ? 'max_age (ns)' : setting, want[setting] ?? none, have[setting] ?? none);
  }
  return differences;
}

/**
 * Whether every subject `wanted` matches is also matched by `filter` (`orders.>` covers
 * `orders.>` and `orders.*.x`; `orders.*` does not cover `orders.>`).
 */
export function filterCovers(filter: string, wanted: string): boolean {
  const have = filter.split('.');
  const want = wanted.split('.');
  for (let i = 0; i < have.length; i++) {
    if (have[i] === '>') return i < want.length;
    if (i >= want.length || want[i] === '>') return false;
    if (have[i] !== '*' && have[i] !== want[i]) return false;
  }
  return have.length === want.length;
}

/** The last and first sequence of each stream: the head a projection is catching up to. */
export async function streamHeads(
  jsm: JetStreamManager,
  streams: Streams,
  names: readonly string[] = streams.names,
): Promise<Record<string, number>> {
  const heads: Record<string, number> = {};
  for (const stream of names) {
    const info = await jsm.streams.info(streams.streamName(stream));
    heads[stream] = info.state.last_seq;
  }
  return heads;
}

/**
 * The sequence of the first message of `stream` at or after `from` whose subject matches
 * `subjects` (a NATS filter, namespaced); undefined when none does yet. nats-server 2.9 answers
 * `next_by_subj` on the stream's message API though nats.js types it for direct gets only.
 */
export async function nextMatching(
  jsm: JetStreamManager,
  streams: Streams,
  stream: string,
  subjects: string,
  from: number,
): Promise<number | undefined> {
  const query = { seq: from, next_by_subj: subjects } as unknown as MsgRequest;
  const found = await jsm.streams.getMessage(streams.streamName(stream), query);
  return found?.seq;
}

/** Removes a namespace's streams (tests clean up after themselves). */
export async function deleteStreams(jsm: JetStreamManager, streams: Streams): Promise<void> {
  for (const stream of streams.names) {
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
): (stream: string, sequence: number) => Promise<Date | undefined> {
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
