import type { DomainEvent } from '../../shared/events/contract.ts';
import type { DocumentProjection } from './define.ts';

export interface FoldFailure {
  readonly event: DomainEvent;
  readonly error: Error;
}

export interface FoldResult<Doc> {
  /** The documents the batch touched, as they are after it; null means delete. */
  readonly docs: Map<string, Doc | null>;
  /** Events whose `key` or `evolve` threw: deterministic failures, so poison. */
  readonly failures: FoldFailure[];
}

/**
 * Folds a batch into its documents in memory, in batch order. A document touched several
 * times in one batch is written once, which also keeps one upsert from naming a key twice.
 * A throwing event leaves its document as it was and is reported, not rethrown.
 */
export function foldBatch<Doc extends object>(
  projection: DocumentProjection<Doc>,
  events: readonly DomainEvent[],
  loaded: ReadonlyMap<string, Doc>,
): FoldResult<Doc> {
  const docs = new Map<string, Doc | null>();
  const failures: FoldFailure[] = [];
  for (const event of events) {
    try {
      const key = projection.key(event);
      const current = docs.has(key) ? (docs.get(key) ?? null) : (loaded.get(key) ?? null);
      docs.set(key, projection.evolve(current, event));
    } catch (error) {
      failures.push({ event, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return { docs, failures };
}

/** The distinct document keys of a batch, skipping events whose key cannot be computed. */
export function batchKeys<Doc extends object>(
  projection: DocumentProjection<Doc>,
  events: readonly DomainEvent[],
): string[] {
  const keys = new Set<string>();
  for (const event of events) {
    try {
      keys.add(projection.key(event));
    } catch {
      // Reported by foldBatch as a poison event.
    }
  }
  return [...keys];
}
