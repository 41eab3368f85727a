/**
 * The JetStream streams of the public contract. Each stream owns one bounded context's
 * subjects; a namespace (tests, side-by-side installs) prefixes both names and subjects.
 */
export const STREAM_NAMES = ['CATALOG', 'ORDERS', 'PAYMENTS'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

const CONTEXT_OF: Record<StreamName, string> = {
  CATALOG: 'catalog',
  ORDERS: 'orders',
  PAYMENTS: 'payments',
};

export interface Streams {
  readonly namespace: string;
  /** The JetStream stream name, e.g. `ORDERS` or `T1A2B_ORDERS`. */
  streamName(stream: StreamName): string;
  /** The subject filter the stream captures, e.g. `orders.>` or `t1a2b.orders.>`. */
  subjects(stream: StreamName): string;
  /** The NATS subject of one event: `<context>.<event>.<aggregateId>`, namespaced. */
  subjectOf(type: string, aggregateId: string): string;
}

export function streamsFor(namespace: string): Streams {
  const subjectPrefix = namespace ? `${namespace}.` : '';
  const namePrefix = namespace ? `${namespace.toUpperCase()}_` : '';
  return {
    namespace,
    streamName: (stream) => `${namePrefix}${stream}`,
    subjects: (stream) => `${subjectPrefix}${CONTEXT_OF[stream]}.>`,
    subjectOf: (type, aggregateId) => `${subjectPrefix}${type.replace(/\.v\d+$/, '')}.${aggregateId}`,
  };
}
