import type { AnyEvent } from '../../../shared/events/event-type.ts';
import { unstorable } from '../../../shared/events/storable.ts';
import type { Positions } from '../commit/positions.ts';
import type { DocumentProjection } from '../definition/define.ts';
import { DocumentRefusedError } from '../poison/classification.ts';

/** A document as a store keeps it: the projection's document plus the positions it has absorbed. */
export interface Stored<Doc> {
  readonly doc: Doc | null;
  /** Per stream, the last sequence folded into this document (kept by stores without a shared transaction). */
  readonly positions: Positions;
}

export interface FoldFailure {
  readonly event: AnyEvent;
  /** What its handler threw, or a `DocumentRefusedError` for a state the store cannot hold. */
  readonly error: Error;
}

/** The store's check of one state of a document (DocumentStore.refusal): the refusal, or undefined. */
export type DocumentRefusal<Doc> = (
  key: string,
  doc: Doc,
  previous: Doc | null,
) => DocumentRefusedError | undefined;

export interface FoldResult<Doc, L> {
  /** The documents the batch changed, as they are after it; a null doc means delete. */
  readonly docs: Map<string, Stored<Doc>>;
  /** The lookup records the batch changed; null means delete. */
  readonly lookups: Map<string, L | null>;
  /** Events whose `key`, `evolve` or lookup threw: deterministic failures, so poison. */
  readonly failures: FoldFailure[];
  /**
   * Keys the fold touched that were not among `loaded.keys` (when given): their documents
   * were folded from empty though the store may hold them. Load them and fold again.
   */
  readonly unloaded: string[];
}

const EMPTY: Stored<never> = { doc: null, positions: {} };

/** What a handler returned, for a message: short, whatever it was. */
function described(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `a list (${value.length})`;
  if (value === null) return 'null';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/**
 * The type system is not there at run time: a `case` label with a typo, a missing `return`
 * or an `any` lets a handler return what its type forbids. Caught here, in the fold, it is
 * the event's failure (a HANDLER_FAILED dead letter naming what came back), never a store error
 * that halts the whole view.
 */
function keysOf(key: unknown): readonly string[] {
  if (typeof key === 'string' && key !== '') return [key];
  if (Array.isArray(key) && key.every((k) => typeof k === 'string' && k !== '')) return [...new Set(key)];
  throw new Error(`key returned ${described(key)}: expected a non-empty string or a list of them`);
}

function checkedDocument<Doc>(doc: unknown, key: string): Doc | null {
  if (doc === null || (typeof doc === 'object' && !Array.isArray(doc))) return doc as Doc | null;
  throw new Error(
    `evolve returned ${described(doc)} for key ${key}: expected the document, or null to delete it`,
  );
}

function checkedLookupKey(key: unknown): string | undefined {
  if (key === undefined || (typeof key === 'string' && key !== '')) return key;
  throw new Error(`lookup.key returned ${described(key)}: expected a non-empty string, or undefined`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

interface LookupStep<L> {
  readonly key: string | undefined;
  /** The record as it was before the event: what `key` and `evolve` see. */
  readonly before: L | null;
  readonly after: L | null;
}

const NO_LOOKUP: LookupStep<never> = { key: undefined, before: null, after: null };

/**
 * A lookup record goes to a jsonb column, under the rule event data meets (storable.ts): one
 * holding a NUL or a lone surrogate (which PostgreSQL refuses), an infinite number (which JSON
 * writes as null) or an integer past 2^53 − 1 is its event's failure, checked at every state
 * for the same reason as documents are (foldBatch).
 */
function checkedRecord<L>(step: LookupStep<L>): void {
  if (step.key === undefined || step.after === null || step.after === step.before) return;
  const problem = unstorable(step.after);
  if (problem)
    throw new DocumentRefusedError(
      'UNSTORABLE_LOOKUP',
      `lookup record ${step.key} cannot be stored: ${problem}`,
      [step.key],
    );
}

/** Folds one event into its lookup record, reading the batch's changes before the loaded state. */
function lookupStep<Doc extends object, L>(
  p: DocumentProjection<Doc, AnyEvent, L>,
  event: AnyEvent,
  changed: ReadonlyMap<string, L | null>,
  loaded: ReadonlyMap<string, L>,
): LookupStep<L> {
  const key = checkedLookupKey(p.lookup?.key(event));
  if (!p.lookup || key === undefined) return NO_LOOKUP;
  const before = changed.has(key) ? (changed.get(key) ?? null) : (loaded.get(key) ?? null);
  const after = p.lookup.evolve(before, event);
  if (after === undefined)
    throw new Error(
      `lookup.evolve returned undefined for key ${key}: expected the record, or null to delete it`,
    );
  return { key, before, after };
}

/**
 * Folds a batch into its documents in memory, in batch order. A document touched several
 * times in one batch is written once, which also keeps one upsert from naming a key twice.
 * An event at or below a document's absorbed position for its stream is skipped, so folding
 * a replayed range changes nothing. A throwing event leaves everything as it was and is
 * reported, not rethrown.
 *
 * Every state an event takes a document (or lookup record) to is checked against what the
 * store can hold (`refusal`), not only the batch's last: an event whose state the store would
 * refuse fails here, the same way whether a later event of the batch replaces the value or a
 * batch cut falls between them, so a rebuild dead-letters what the live generation did.
 */
export function foldBatch<Doc extends object, L>(
  p: DocumentProjection<Doc, AnyEvent, L>,
  events: readonly AnyEvent[],
  loaded: {
    docs: ReadonlyMap<string, Stored<Doc>>;
    lookups: ReadonlyMap<string, L>;
    /** The keys whose documents were asked for (found or not); others are reported `unloaded`. */
    keys?: ReadonlySet<string>;
  },
  refusal?: DocumentRefusal<Doc>,
): FoldResult<Doc, L> {
  // Every value in `docs` is created by this fold and private to it until it returns: a later
  // event of the batch updates it in place instead of copying it (one object per document per
  // batch, not per event: what survives a batch is what the GC pays for).
  const docs = new Map<string, { doc: Doc | null; positions: Positions }>();
  const lookups = new Map<string, L | null>();
  const failures: FoldFailure[] = [];
  const unloaded = new Set<string>();
  const apply = (key: string, stored: Stored<Doc>, doc: Doc | null, event: AnyEvent) => {
    const own = docs.get(key);
    if (own === stored) {
      own.doc = doc;
      own.positions[event.stream] = event.sequence;
    } else {
      const positions = { ...stored.positions };
      positions[event.stream] = event.sequence;
      docs.set(key, { doc, positions });
    }
  };
  /** The document `evolve` returned for `key` from `before`, checked: what the store would refuse throws. */
  const evolved = (event: AnyEvent, key: string, before: Doc | null, record: L | null): Doc | null => {
    const doc = checkedDocument<Doc>(p.evolve(before, event, key, record), key);
    const refused = doc === null ? undefined : refusal?.(key, doc, before);
    if (refused) throw refused;
    return doc;
  };
  for (const event of events) {
    try {
      const lookup = lookupStep(p, event, lookups, loaded.lookups);
      checkedRecord(lookup);
      const keys = p.key(event, lookup.before);
      if (typeof keys === 'string' && keys !== '') {
        // One document, the usual case: nothing to stage, `evolve` throwing leaves it as it was.
        if (loaded.keys && !loaded.keys.has(keys) && !docs.has(keys)) unloaded.add(keys);
        const stored = docs.get(keys) ?? loaded.docs.get(keys) ?? EMPTY;
        const fresh = (stored.positions[event.stream] ?? 0) < event.sequence;
        const doc = fresh ? evolved(event, keys, stored.doc, lookup.before) : null;
        if (lookup.key !== undefined) lookups.set(lookup.key, lookup.after);
        if (fresh) apply(keys, stored, doc, event);
        continue;
      }
      const changes: [string, Stored<Doc>, Doc | null][] = [];
      for (const key of keysOf(keys)) {
        if (loaded.keys && !loaded.keys.has(key) && !docs.has(key)) unloaded.add(key);
        const stored = docs.get(key) ?? loaded.docs.get(key) ?? EMPTY;
        if ((stored.positions[event.stream] ?? 0) >= event.sequence) continue;
        changes.push([key, stored, evolved(event, key, stored.doc, lookup.before)]);
      }
      // Only now, with nothing left to throw, does the event take effect.
      if (lookup.key !== undefined) lookups.set(lookup.key, lookup.after);
      for (const [key, stored, doc] of changes) apply(key, stored, doc, event);
    } catch (error) {
      failures.push({ event, error: asError(error) });
    }
  }
  return { docs, failures, lookups, unloaded: [...unloaded] };
}

/** The lookup keys a batch reads: loaded before the document keys can be known. */
export function lookupKeys<Doc extends object, L>(
  p: DocumentProjection<Doc, AnyEvent, L>,
  events: readonly AnyEvent[],
): string[] {
  const keys = new Set<string>();
  for (const event of events) {
    try {
      const key = checkedLookupKey(p.lookup?.key(event));
      if (key !== undefined) keys.add(key);
    } catch {
      // Reported by foldBatch as a poison event.
    }
  }
  return [...keys];
}

/**
 * The distinct document keys of a batch, given its lookups. An event whose `key` throws
 * changes no lookup record, as in `foldBatch`; one whose `evolve` throws cannot be known here,
 * so `foldBatch` reports the keys this misses as `unloaded`.
 */
export function documentKeys<Doc extends object, L>(
  p: DocumentProjection<Doc, AnyEvent, L>,
  events: readonly AnyEvent[],
  lookups: ReadonlyMap<string, L>,
): string[] {
  const keys = new Set<string>();
  const changed = new Map<string, L | null>();
  for (const event of events) {
    try {
      const lookup = lookupStep(p, event, changed, lookups);
      const touched = keysOf(p.key(event, lookup.before));
      if (lookup.key !== undefined) changed.set(lookup.key, lookup.after);
      for (const key of touched) keys.add(key);
    } catch {
      // Reported by foldBatch as a poison event.
    }
  }
  return [...keys];
}
