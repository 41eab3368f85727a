import type { Streams } from '../../../shared/events/streams.ts';
import type { Projection } from '../definition/define.ts';
import { aggregateKeyedStreams, partitionOf, partitionsOf } from '../definition/partitions.ts';
import type { RawMessage } from '../source/ordered-source.ts';

/**
 * Which messages one partition may pass over without decoding them: those of a source whose keys
 * are declared to be aggregate ids (`keyIsAggregateId`) whose subject names an aggregate of
 * another partition. nats-server 2.9 sends every partition's reader the whole stream, and
 * decoding (envelope, zod, upcasters) is most of what a message costs a process; this is the
 * part of it that partitions can divide. A subject the contract's shapes cannot read an id from
 * is decoded as usual; an event whose key turns out not to be its aggregate id is refused by the
 * partition of its subject (definition/partition-scope.ts), so none is lost in silence.
 * Undefined when the projection has one partition or declares no such source.
 */
export function foreignMessages(
  projection: Projection,
  partition: number,
  streams: Streams,
): ((raw: RawMessage) => boolean) | undefined {
  const partitions = partitionsOf(projection);
  const byAggregate = aggregateKeyedStreams(projection);
  if (partitions <= 1 || byAggregate.size === 0) return undefined;
  return (raw) => {
    if (!byAggregate.has(raw.stream)) return false;
    const id = streams.aggregateIdOf(raw.stream, raw.subject);
    return id !== undefined && partitionOf(id, partitions) !== partition;
  };
}
