import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './schema/connection.ts';

/** Fields that return every projection at once: a dozen or so items. */
const LISTS: Readonly<Record<string, number>> = { projections: 10, projectionStatus: 10 };

interface Measure {
  depth: number;
  cost: number;
}

/**
 * How many times a field's selection runs: its literal `first`, the default page of a paginated
 * field without one, the largest page for a `first` given by a variable (validation runs before
 * variables are known), or 1.
 */
function multiplier(
  paginated: ReadonlySet<string>,
  field: {
    name: { value: string };
    arguments?: readonly { name: { value: string }; value: { kind: string } }[];
  },
): number {
  const first = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!first) return paginated.has(field.name.value) ? DEFAULT_PAGE_SIZE : (LISTS[field.name.value] ?? 1);
  const value = first.value as { kind: string; value?: string };
  if (value.kind === Kind.INT) return Math.max(1, Number(value.value));
  return MAX_PAGE_SIZE;
}

/**
 * Depth and cost of a selection: each field costs 1, and a field with a page size (`first`)
 * multiplies the cost of what it selects. Fragments are expanded; a fragment cycle (invalid
 * anyway) stops the expansion instead of looping.
 */
function measure(
  paginated: ReadonlySet<string>,
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string> = new Set(),
): Measure {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    let inner: Measure = { depth: 0, cost: 0 };
    if (selection.kind === Kind.FIELD) {
      const below = selection.selectionSet
        ? measure(paginated, selection.selectionSet, fragments, seen)
        : { depth: 0, cost: 0 };
      inner = { depth: below.depth + 1, cost: 1 + multiplier(paginated, selection) * below.cost };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(paginated, selection.selectionSet, fragments, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment && !seen.has(name))
        inner = measure(paginated, fragment.selectionSet, fragments, new Set([...seen, name]));
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
}

/** `paginated`: the fields that return a page (derived from the views: `paginatedFields`). */
export function measureDocument(document: DocumentNode, paginated: ReadonlySet<string>): Measure {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  let worst: Measure = { depth: 0, cost: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = measure(paginated, definition.selectionSet, fragments);
    worst = { depth: Math.max(worst.depth, m.depth), cost: Math.max(worst.cost, m.cost) };
  }
  return worst;
}

/** Most tokens a document may have: parsing stops there, before any work on a huge document. */
export const MAX_TOKENS = 10_000;

/**
 * Refuses queries nested deeper than `maxDepth` or costing more than `maxCost` before they run,
 * as validation errors, and documents longer than MAX_TOKENS while they are parsed: a crafted
 * query cannot make the API walk millions of nodes.
 */
export function limitsPlugin(maxDepth: number, maxCost: number, paginated: ReadonlySet<string>): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      // yoga's own parse (its build of graphql), so a refusal is a regular syntax error (400).
      setParseFn((source, options) => parseFn(source, { ...options, maxTokens: MAX_TOKENS }));
    },
    onValidate({ addValidationRule }) {
      addValidationRule(
        (context: ValidationContext): ASTVisitor => ({
          Document(node) {
            const { depth, cost } = measureDocument(node, paginated);
            if (depth > maxDepth) {
              context.reportError(
                createGraphQLError(`query depth ${depth} exceeds the maximum of ${maxDepth}`, {
                  extensions: { code: 'QUERY_TOO_DEEP' },
                }) as never,
              );
            }
            if (cost > maxCost) {
              context.reportError(
                createGraphQLError(`query cost ${cost} exceeds the maximum of ${maxCost}`, {
                  extensions: { code: 'QUERY_TOO_COSTLY' },
                }) as never,
              );
            }
          },
        }),
      );
    },
  };
}
