import type { SubjectShape } from './subject-shape.ts';

/**
 * A JetStream stream of an application's contract, as Vista creates it when it is missing.
 * A stream that exists already (created by an operator, or by other services that publish to
 * it) is used as it is: differences from these settings are reported at start-up, never
 * silently changed.
 */
export interface StreamDefinition<N extends string = string> {
  /** The stream's name in the contract, e.g. `ORDERS` (a namespace prefixes it in JetStream). */
  readonly name: N;
  /**
   * The subjects it captures, e.g. `orders.>`. Its events' subjects (see `subjectShape`) must
   * fall under them.
   */
  readonly subjects: string;
  /**
   * How its events' NATS subjects are shaped (default `{context}.{event}.{aggregateId}`: an event
   * of type `<context>.<event>.v<N>` is published on `<context>.<event>.<aggregateId>`), e.g.
   * `bank.v1.{aggregateId}.{event}` for publishers that chose their own; an event type may
   * declare its own. Decoding refuses an event whose subject is not the one its shape gives.
   */
  readonly subjectShape?: SubjectShape;
  /** `file` (default; the log survives a broker restart) or `memory`. */
  readonly storage?: 'file' | 'memory';
  /** Copies in a clustered JetStream (default 1; at most 5). */
  readonly replicas?: number;
  /** Events older than this are removed by the broker (default 0: kept forever, as a log should). */
  readonly maxAgeSeconds?: number;
  /** How long JetStream remembers a `Nats-Msg-Id` to drop a re-published duplicate (default 120). */
  readonly duplicateWindowSeconds?: number;
}

/** An application's streams within one installation: names and subjects, namespaced. */
export interface Streams<N extends string = string> {
  readonly namespace: string;
  /** The contract's stream names, in the contract's order. */
  readonly names: readonly N[];
  definition(stream: N): StreamDefinition<N>;
  /** The JetStream stream name, e.g. `ORDERS` or `T1A2B_ORDERS`. */
  streamName(stream: N): string;
  /** The subject filter the stream captures, e.g. `orders.>` or `t1a2b.orders.>`. */
  subjects(stream: N): string;
  /** The NATS subject of one event, by its shape (`<context>.<event>.<aggregateId>` by default), namespaced. */
  subjectOf(type: string, aggregateId: string): string;
  /** The aggregate id a namespaced NATS subject of `stream` holds, if its shape says (see `Contract.aggregateIdOf`). */
  aggregateIdOf(stream: N, subject: string): string | undefined;
  /** The contract's stream named `name` as the contract or JetStream spells it (any case), if any. */
  byName(name: string): N | undefined;
}

/** Whether NATS subject `subject` matches the filter `filter` (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const want = filter.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}

/**
 * The contract's streams as one installation names them: `namespace` (empty for none)
 * prefixes stream names and subjects.
 */
export function streamsFor<N extends string>(
  /** A contract (`defineContract`), or what of one this needs: its streams and its subjects. */
  contract: {
    readonly streams: readonly StreamDefinition<N>[];
    subjectOf(type: string, aggregateId: string): string;
    aggregateIdOf?(stream: string, subject: string): string | undefined;
  },
  namespace: string,
): Streams<N> {
  const definitions = contract.streams;
  const subjectPrefix = namespace ? `${namespace}.` : '';
  const namePrefix = namespace ? `${namespace.toUpperCase()}_` : '';
  const byContractName = new Map(definitions.map((d) => [d.name, d]));
  const byAnyName = new Map<string, N>();
  for (const { name } of definitions) {
    byAnyName.set(name.toUpperCase(), name);
    byAnyName.set(`${namePrefix}${name}`.toUpperCase(), name);
  }
  const definition = (stream: N) => {
    const found = byContractName.get(stream);
    if (!found) throw new Error(`no stream ${stream} in the contract`);
    return found;
  };
  return {
    namespace,
    names: definitions.map((d) => d.name),
    definition,
    streamName: (stream) => `${namePrefix}${definition(stream).name}`,
    subjects: (stream) => `${subjectPrefix}${definition(stream).subjects}`,
    subjectOf: (type, aggregateId) => `${subjectPrefix}${contract.subjectOf(type, aggregateId)}`,
    aggregateIdOf: (stream, subject) =>
      subject.startsWith(subjectPrefix)
        ? contract.aggregateIdOf?.(stream, subject.slice(subjectPrefix.length))
        : undefined,
    byName: (name) => byAnyName.get(name.toUpperCase()),
  };
}
