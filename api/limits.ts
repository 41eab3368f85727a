import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type Source,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './schema/connection.ts';

/** Fields that return every projection at once: a dozen or so items. */
const LISTS: Readonly<Record<string, number>> = { projections: 10, projectionStatus: 10 };

/**
 * What a root field that runs a read of its own costs on top of its fields: a connection at
 * the root is one SQL query or one search per occurrence (aliases included), where a lookup by
 * key or a nested list is batched per request and `projections` is read once per request.
 * At the default MAX_QUERY_COST of 20,000 a request runs at most ~200 such reads.
 */
export const READ_COST = 100;

/** Most tokens a document may have: parsing stops there, before any work on a huge document. */
export const MAX_TOKENS = 10_000;

/**
 * Deepest nesting of `{`, `[` and `(` a document may have. graphql-js parses by recursive
 * descent, so ~3,000 nested selections overflow the stack (a RangeError, an HTTP 500): a
 * linear scan of the source refuses them first. Far above any MAX_QUERY_DEPTH (at most 50),
 * so a query only a little too deep still gets the exact depth from the measure below.
 */
export const MAX_NESTING = 200;

export interface Measure {
  depth: number;
  cost: number;
  /**
   * How many field comparisons validating the document takes, roughly: graphql-js's
   * OverlappingFieldsCanBeMerged compares every pair of fields with the same response name in
   * a selection set (fragments included), and their subselections: 2,000 `node { id }` in one
   * set are 4 million comparisons (~0.3 s), for a document far under the cost limit.
   */
  comparisons: number;
}

/** Most field comparisons validation may take; a document of distinct fields needs one per field. */
export const MAX_FIELD_COMPARISONS = 50_000;

/** What the measure needs to know of the schema: root types, and root fields that read. */
export interface CostRules {
  /** Names of the operation root types (Query, Subscription). */
  readonly rootTypes: ReadonlySet<string>;
  /** Extra cost of a root field per occurrence (READ_COST for connections), by field name. */
  readonly rootReadCost: (field: string) => number;
}

/** The name below NonNull and List wrappers, without instanceof (a test may load two graphql builds). */
function namedType(type: unknown): string {
  let current = type as { ofType?: unknown; name?: string };
  while (current.ofType) current = current.ofType as typeof current;
  return current.name ?? '';
}

/** The rules for a schema: every root Query field returning a `…Connection` is a read. */
export function costRules(schema: GraphQLSchema): CostRules {
  const query = schema.getQueryType();
  const readers = new Set(
    Object.values(query?.getFields() ?? {})
      .filter((field) => namedType(field.type).endsWith('Connection'))
      .map((field) => field.name),
  );
  const rootTypes = new Set(
    [query, schema.getSubscriptionType(), schema.getMutationType()].flatMap((t) => (t ? [t.name] : [])),
  );
  return { rootTypes, rootReadCost: (field) => (readers.has(field) ? READ_COST : 0) };
}

/** Without a schema (unit tests of the shape alone): Query is the root, no field reads. */
const SHAPE_ONLY: CostRules = { rootTypes: new Set(['Query', 'Subscription']), rootReadCost: () => 0 };

/**
 * How many times a field's selection runs: its literal `first`, the default page of a paginated
 * field without one, the largest page for a `first` given by a variable (validation runs before
 * variables are known), or 1.
 */
function multiplier(paginated: ReadonlySet<string>, field: FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!first) return paginated.has(field.name.value) ? DEFAULT_PAGE_SIZE : (LISTS[field.name.value] ?? 1);
  if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  return MAX_PAGE_SIZE;
}

interface SetMeasure {
  readonly depth: number;
  readonly cost: number;
  /** Fields in the set and below it, fragments expanded. */
  readonly size: number;
  readonly names: Map<string, { count: number; size: number }>;
}

/**
 * Depth, cost and validation work of every operation of a document, in time linear in its size:
 * each field costs 1, a field with a page size (`first`) multiplies the cost of what it selects,
 * and each fragment is measured once however often it is spread (a fragment's measure does not
 * depend on where it is spread), so 22 fragments each spreading the next twice cost 23 walks,
 * not 2^22. A fragment cycle (invalid anyway) counts as empty where it closes. Comparisons are
 * no longer counted once past `maxComparisons`, so that counting them stays bounded as well.
 */
export function measureDocument(
  document: DocumentNode,
  paginated: ReadonlySet<string>,
  rules: CostRules = SHAPE_ONLY,
  maxComparisons = MAX_FIELD_COMPARISONS,
): Measure {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const measured = new Map<string, SetMeasure>();
  const inProgress = new Set<string>();
  const EMPTY: SetMeasure = { depth: 0, cost: 0, size: 0, names: new Map() };
  let comparisons = 0;

  // Same-named fields of one set are compared pairwise, each pair down their subselections:
  // count × size of a name approximates that work, counted as fields join the name.
  const join = (names: SetMeasure['names'], name: string, count: number, size: number) => {
    // Past the bound the document is refused anyway: stop counting, keep measuring cost.
    if (comparisons > maxComparisons) return;
    const known = names.get(name);
    if (known) {
      comparisons += (known.count + count) * (known.size + size) - known.count * known.size;
      known.count += count;
      known.size += size;
    } else {
      comparisons += count * size;
      names.set(name, { count, size });
    }
  };

  const fragment = (name: string): SetMeasure => {
    const known = measured.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(name)) return EMPTY;
    inProgress.add(name);
    const result = measure(definition.selectionSet, rules.rootTypes.has(definition.typeCondition.name.value));
    inProgress.delete(name);
    measured.set(name, result);
    return result;
  };

  function measure(selectionSet: SelectionSetNode, atRoot: boolean): SetMeasure {
    let depth = 0;
    let cost = 0;
    let size = 0;
    const names: SetMeasure['names'] = new Map();
    // graphql-js compares a fragment spread twice in one set only once.
    const spread = new Set<string>();
    for (const selection of selectionSet.selections) {
      let inner: SetMeasure;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? measure(selection.selectionSet, false) : EMPTY;
        const read = atRoot ? rules.rootReadCost(selection.name.value) : 0;
        const fieldSize = 1 + below.size;
        join(names, selection.alias?.value ?? selection.name.value, 1, fieldSize);
        depth = Math.max(depth, below.depth + 1);
        cost += 1 + read + multiplier(paginated, selection) * below.cost;
        size += fieldSize;
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition?.name.value;
        inner = measure(selection.selectionSet, on === undefined ? atRoot : rules.rootTypes.has(on));
      } else {
        inner = fragment(selection.name.value);
        if (spread.has(selection.name.value)) inner = { ...inner, names: new Map() };
        spread.add(selection.name.value);
      }
      for (const [name, { count, size: s }] of inner.names) join(names, name, count, s);
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
      size += inner.size;
    }
    return { depth, cost, size, names };
  }

  let depth = 0;
  let cost = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = measure(definition.selectionSet, true);
    depth = Math.max(depth, m.depth);
    cost = Math.max(cost, m.cost);
  }
  // Fragments no operation spreads are validated too.
  for (const name of fragments.keys()) fragment(name);
  return { depth, cost, comparisons };
}

/**
 * The deepest nesting of brackets in a GraphQL source, skipping strings, block strings and
 * comments; stops counting past `limit`. One pass, no allocation.
 */
export function nestingDepth(source: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  const n = source.length;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      if (depth > 0) depth--;
    } else if (c === 0x23) {
      while (i < n && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22) {
      if (source.startsWith('"""', i)) {
        i += 3;
        while (i < n && !source.startsWith('"""', i)) i += source.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < n && source.charCodeAt(i) !== 0x22 && source.charCodeAt(i) !== 0x0a) {
          if (source.charCodeAt(i) === 0x5c) i++;
          i++;
        }
      }
    }
  }
  return deepest;
}

const tooDeep = (message: string) => createGraphQLError(message, { extensions: { code: 'QUERY_TOO_DEEP' } });

/** The depth and cost refusals of a document, or none. */
export function limitErrors(
  document: DocumentNode,
  paginated: ReadonlySet<string>,
  rules: CostRules,
  maxDepth: number,
  maxCost: number,
): Error[] {
  const { depth, cost, comparisons } = measureDocument(document, paginated, rules);
  const errors: Error[] = [];
  if (depth > maxDepth) errors.push(tooDeep(`query depth ${depth} exceeds the maximum of ${maxDepth}`));
  if (cost > maxCost) {
    errors.push(
      createGraphQLError(`query cost ${cost} exceeds the maximum of ${maxCost}`, {
        extensions: { code: 'QUERY_TOO_COSTLY' },
      }),
    );
  }
  if (comparisons > MAX_FIELD_COMPARISONS) {
    errors.push(
      createGraphQLError(
        `query repeats fields too often: validating it takes over ${MAX_FIELD_COMPARISONS} field comparisons`,
        { extensions: { code: 'QUERY_TOO_COSTLY' } },
      ),
    );
  }
  return errors;
}

/**
 * Bounded work before execution. `paginated`: the fields that return a page (derived from the
 * views: `paginatedFields`). While parsing: documents longer than MAX_TOKENS tokens or
 * nested deeper than MAX_NESTING are refused (the nesting by a linear scan before the parser
 * recurses). Before validation: queries deeper than `maxDepth` or costing more than `maxCost`
 * are refused, and then graphql-js's own rules (some superlinear in crafted documents) do not
 * run at all: a refused document costs a parse and one linear walk.
 */
export function limitsPlugin(maxDepth: number, maxCost: number, paginated: ReadonlySet<string>): Plugin {
  const rulesBySchema = new WeakMap<GraphQLSchema, CostRules>();
  return {
    onParse({ parseFn, setParseFn }) {
      // yoga's own parse (its build of graphql), so a refusal is a regular syntax error (400).
      setParseFn((source, options) => {
        const text = typeof source === 'string' ? source : (source as Source).body;
        const nesting = nestingDepth(text, MAX_NESTING);
        if (nesting > MAX_NESTING) {
          throw tooDeep(`the document nests deeper than ${MAX_NESTING} levels`);
        }
        return parseFn(source, { ...options, maxTokens: MAX_TOKENS });
      });
    },
    onValidate({ params, setResult }) {
      let rules = rulesBySchema.get(params.schema);
      if (!rules) {
        rules = costRules(params.schema);
        rulesBySchema.set(params.schema, rules);
      }
      const errors = limitErrors(params.documentAST, paginated, rules, maxDepth, maxCost);
      if (errors.length > 0) setResult(errors);
    },
  };
}
