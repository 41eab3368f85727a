import { type DocumentNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** Which projections each field name reads, at any depth (derived: api/derive/views.ts `readsOf`). */
export type Reads = ReadonlyMap<string, readonly string[]>;

function collect(
  reads: Reads,
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  into: Set<string>,
  seen: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      for (const projection of reads.get(selection.name.value) ?? []) into.add(projection);
      if (selection.selectionSet) collect(reads, selection.selectionSet, document, into, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(reads, selection.selectionSet, document, into, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION)
        collect(reads, fragment.selectionSet, document, into, seen);
    }
  }
}

/**
 * Which projections an operation reads, known before it executes, so the API can wait for
 * them (read-your-writes) and take their positions before the data: a reported position never
 * claims more than the answer.
 */
export class ReadsIndex {
  /**
   * Per parsed document, per operation name: what it reads. yoga's parser cache hands every
   * request with the same query text the same DocumentNode, so the walk runs once per query,
   * not once per request; documents that fall out of that cache take their entries with them.
   */
  private readonly byDocument = new WeakMap<DocumentNode, Map<string, readonly string[]>>();

  constructor(private readonly reads: Reads) {}

  /** The projections an operation of `document` reads (sorted; shared, so never mutate it). */
  projectionsRead(document: DocumentNode, operationName?: string | null): readonly string[] {
    let byOperation = this.byDocument.get(document);
    if (!byOperation) {
      byOperation = new Map();
      this.byDocument.set(document, byOperation);
    }
    const key = operationName ?? '';
    let found = byOperation.get(key);
    if (!found) {
      found = Object.freeze(walk(this.reads, document, operationName));
      byOperation.set(key, found);
    }
    return found;
  }
}

function walk(reads: Reads, document: DocumentNode, operationName?: string | null): string[] {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  const into = new Set<string>();
  if (operation) collect(reads, operation.selectionSet, document, into, new Set());
  return [...into].sort();
}
