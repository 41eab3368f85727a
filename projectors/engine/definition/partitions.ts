/**
 * Partitions: a projection split by a hash of its events' keys into slices that each have
 * their own checkpoint and lease (docs/architecture.md#partitions). This file says which
 * partition a key belongs to, and narrows a projection to one partition, so that the pipeline,
 * the stores and the unit of work run one partition exactly as they run a whole projection.
 */

/** The most partitions a projection may declare: leases, checkpoints and readers grow with it. */
export const MAX_PARTITIONS = 256;

/** A projection's partition count (1 unless it declares more). */
export function partitionsOf(projection: { readonly partitions?: number }): number {
  return projection.partitions ?? 1;
}

/**
 * FNV-1a (32 bits) of the key's UTF-8 bytes, modulo the count: stable across processes,
 * versions of Node and restarts (it is part of what a generation's rows mean), cheap, and
 * spread evenly enough for ids (test/unit/projectors/engine/definition/partitions.test.ts).
 */
export function partitionOf(key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** An event whose partition key is missing: it cannot be routed, so it is dead-lettered, never split. */
export class PartitionKeyError extends Error {
  readonly code = 'PARTITION_KEY_MISSING';
}

/**
 * An event on a stream whose keys are declared to be aggregate ids (`keyIsAggregateId`) whose key
 * is another: routed by its subject, it would be folded in the wrong partition, so it is dead-lettered.
 */
export class AggregateKeyError extends Error {
  readonly code = 'KEY_NOT_AGGREGATE_ID';
}

/** What a partitioned definition must hold, as messages for `DefinitionError`. */
export function partitioningProblems(
  kind: 'document' | 'sql',
  p: { readonly partitions?: number; readonly partitionKey?: unknown },
): string[] {
  if (p.partitions === undefined) return [];
  if (!Number.isInteger(p.partitions) || p.partitions < 1 || p.partitions > MAX_PARTITIONS)
    return [`partitions: an integer from 1 to ${MAX_PARTITIONS} (got ${String(p.partitions)})`];
  if (kind === 'sql' && p.partitions > 1 && typeof p.partitionKey !== 'function')
    return [
      'partitions: a SQL projection split into partitions needs partitionKey(event), the key its rows are kept under. ' +
        'A view whose rows are found through another key than the events carry (customer_stats: a payment names ' +
        'only its order, the customer is known to the partition of the order) cannot be split: it keeps 1 partition',
    ];
  return [];
}

/** The streams whose events' keys a projection declares to be their aggregate ids (`keyIsAggregateId`). */
export function aggregateKeyedStreams(projection: {
  readonly sources: readonly { readonly stream: string; readonly keyIsAggregateId?: boolean }[];
}): ReadonlySet<string> {
  return new Set(projection.sources.filter((s) => s.keyIsAggregateId).map((s) => s.stream));
}

/** What `keyIsAggregateId` on a source needs of its definition, as messages for `DefinitionError`. */
export function aggregateKeyProblems(
  kind: 'document' | 'sql',
  p: {
    readonly sources: readonly { readonly stream: string; readonly keyIsAggregateId?: boolean }[];
    readonly partitionKey?: unknown;
    readonly lookup?: unknown;
  },
): string[] {
  const declared = p.sources.filter((s) => s.keyIsAggregateId).map((s) => s.stream);
  if (declared.length === 0) return [];
  const where = `sources: keyIsAggregateId on ${declared.join(', ')}`;
  if (kind === 'document' && p.lookup !== undefined)
    return [
      `${where}: a projection with a lookup folds every event's lookup record in every partition, so no partition may pass over another's messages`,
    ];
  if (kind === 'sql' && typeof p.partitionKey !== 'function')
    return [`${where}: a SQL projection says it of its partitionKey(event), which it lacks`];
  return [];
}

/**
 * What a process runs, as a string processes compare: its projections with their versions and
 * partition counts. Units are shared evenly among the processes present with the same workload
 * (a `vista rebuild` hosting one projection does not count as a peer of full projectors).
 */
export function workloadOf(
  projections: readonly { readonly name: string; readonly version: number; readonly partitions?: number }[],
): string {
  return projections
    .map((p) => `${p.name}@${p.version}x${partitionsOf(p)}`)
    .sort()
    .join(',');
}
