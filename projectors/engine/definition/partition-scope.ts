import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { DocumentProjection, Projection, SqlProjection } from './define.ts';
import {
  AggregateKeyError,
  aggregateKeyedStreams,
  PartitionKeyError,
  partitionOf,
  partitionsOf,
} from './partitions.ts';

// One partition of a projection, as its owner runs it: the pipeline, the stores and the unit
// of work then run one partition exactly as they run a whole projection.

/**
 * The keys of an event, checked: a key that is missing or empty cannot be routed. Every
 * partition throws for it (so every partition leaves the event's lookup record alone, as an
 * unpartitioned projection would), and the one dead letter names the event. On a stream
 * whose keys are declared to be aggregate ids, a key that is not the event's own would have
 * been routed by its subject to another partition than its key's: the event is refused here,
 * whatever the partition count, by the one partition that decodes it.
 */
function routable(
  keys: string | readonly string[] | undefined | null,
  event: AnyEvent,
  byAggregate: ReadonlySet<string>,
): readonly string[] {
  const list = typeof keys === 'string' ? [keys] : keys;
  if (!list || list.some((key) => typeof key !== 'string' || key === ''))
    throw new PartitionKeyError(
      `partition key of ${event.type} at ${event.stream} #${event.sequence} is missing: the event cannot be routed to a partition`,
    );
  if (byAggregate.has(event.stream) && (list.length !== 1 || list[0] !== event.subject))
    throw new AggregateKeyError(
      `key ${list.join(', ')} of ${event.type} at ${event.stream} #${event.sequence} is not its aggregate id ${event.subject}, ` +
        `though the source ${event.stream} declares keyIsAggregateId`,
    );
  return list;
}

/**
 * One partition of a document projection: `key` keeps only the keys of this partition. Every
 * partition still folds every event's lookup record (the lookup table is per partition), so a
 * record keyed by something else than the documents (an order's lines, for products) is known
 * wherever a document needs it: the join across keys happens at write time, in each partition.
 */
function documentPartition(
  p: DocumentProjection<object, AnyEvent, unknown>,
  partition: number,
  partitions: number,
): DocumentProjection<object, AnyEvent, unknown> {
  const byAggregate = aggregateKeyedStreams(p);
  return {
    ...p,
    key: (event, lookup) =>
      routable(p.key(event, lookup), event, byAggregate).filter(
        (key) => partitionOf(key, partitions) === partition,
      ),
  };
}

/** One partition of a SQL projection: its handler sees the events whose `partitionKey` is this partition's. */
function sqlPartition(
  p: SqlProjection<AnyEvent>,
  partition: number,
  partitions: number,
): SqlProjection<AnyEvent> {
  const keyOf = p.partitionKey?.bind(p) ?? (() => undefined);
  const byAggregate = aggregateKeyedStreams(p);
  return {
    ...p,
    apply: (events, sql) =>
      p.apply(
        events.filter(
          (event) =>
            partitionOf(routable(keyOf(event), event, byAggregate)[0] ?? '', partitions) === partition,
        ),
        sql,
      ),
  };
}

/**
 * The projection as one partition's owner runs it: unchanged when it has one partition; else
 * narrowed to the events (or, for documents, the keys) that hash to `partition`. The name,
 * sources, storage and public shape stay the projection's: partitions share the view.
 */
export function partitionScope(projection: Projection, partition: number): Projection {
  const partitions = partitionsOf(projection);
  if (partitions <= 1 && aggregateKeyedStreams(projection).size === 0) return projection;
  return projection.kind === 'document'
    ? documentPartition(projection, partition, partitions)
    : sqlPartition(projection, partition, partitions);
}
