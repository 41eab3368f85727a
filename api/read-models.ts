import { type DocumentNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Which projection a field reads, at any depth (`customer` under an order reads customer_stats).
 * The API knows them before executing a query, so it can wait for them (read-your-writes) and
 * take their positions before the data: a reported position never claims more than the answer.
 */
const READS: Readonly<Record<string, string>> = {
  order: 'orders',
  orders: 'orders',
  orderUpdated: 'orders',
  customer: 'customer_stats',
  product: 'products',
  searchProducts: 'products',
};

function collect(
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  into: Set<string>,
  seen: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const projection = READS[selection.name.value];
      if (projection) into.add(projection);
      if (selection.selectionSet) collect(selection.selectionSet, document, into, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, document, into, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) collect(fragment.selectionSet, document, into, seen);
    }
  }
}

/**
 * Per parsed document, per operation name: what it reads. yoga's parser cache hands every
 * request with the same query text the same DocumentNode, so the walk runs once per query, not
 * once per request; documents that fall out of that cache take their entries with them.
 */
const readsByDocument = new WeakMap<DocumentNode, Map<string, readonly string[]>>();

/** The projections an operation of `document` reads (sorted; shared, so never mutate it). */
export function projectionsRead(document: DocumentNode, operationName?: string | null): readonly string[] {
  let byOperation = readsByDocument.get(document);
  if (!byOperation) {
    byOperation = new Map();
    readsByDocument.set(document, byOperation);
  }
  const key = operationName ?? '';
  let reads = byOperation.get(key);
  if (!reads) {
    reads = Object.freeze(walk(document, operationName));
    byOperation.set(key, reads);
  }
  return reads;
}

function walk(document: DocumentNode, operationName?: string | null): string[] {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  const into = new Set<string>();
  if (operation) collect(operation.selectionSet, document, into, new Set());
  return [...into].sort();
}
