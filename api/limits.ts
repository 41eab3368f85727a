import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type Source,
  type ValueNode,
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

/**
 * What each value of a `where` costs (each object, list element and scalar, an empty object
 * included, written in the document or sent as a variable): a filter is evaluated on every row
 * a read scans, so 190 aliased counts over a 200-term `or` (each a cheap 100 before) kept
 * PostgreSQL busy for 10 s. A `totalCount` is a read of its own at the root (a count scans every
 * match, whatever the page size), and evaluates its connection's filter once more.
 */
export const FILTER_VALUE_COST = 5;

/**
 * Most values a request's variables may hold, all levels counted (an empty object or list is
 * one, like a token of the document), and how deep they may nest. Checked on the raw JSON,
 * before graphql-js coerces the variables by recursion: a `where` variable nested 5,000 deep
 * overflowed its stack (an HTTP 500), and 80,000 empty objects (240 KB) were each a condition.
 */
export const MAX_VARIABLE_VALUES = MAX_TOKENS;
export const MAX_VARIABLE_DEPTH = 32;

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

/** Variables as the request sent them (raw JSON, not coerced); undefined while they are not known. */
export type Variables = Readonly<Record<string, unknown>> | undefined;

/**
 * How many times a field's selection runs: its literal `first`, the default page of a paginated
 * field without one, a variable's value once variables are known (the largest page before:
 * validation runs without them), or 1.
 */
function multiplier(paginated: ReadonlySet<string>, field: FieldNode, variables: Variables): number {
  const first = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!first) return paginated.has(field.name.value) ? DEFAULT_PAGE_SIZE : (LISTS[field.name.value] ?? 1);
  if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  if (first.value.kind === Kind.VARIABLE && variables) {
    const value = variables[first.value.name.value];
    if (Number.isSafeInteger(value) && (value as number) <= MAX_PAGE_SIZE)
      return Math.max(1, value as number);
  }
  return MAX_PAGE_SIZE;
}

/** Values in raw JSON: each object, list and scalar one (null none). Iterative. */
function jsonValues(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || item === undefined) continue;
    count++;
    if (typeof item === 'object') for (const child of Object.values(item)) stack.push(child);
  }
  return count;
}

/** Values of a field's `where`, literal or from variables (unknown ones count nothing yet). */
function whereValues(field: FieldNode, variables: Variables): number {
  const where = field.arguments?.find((a) => a.name.value === 'where');
  if (!where) return 0;
  let count = 0;
  const stack: ValueNode[] = [where.value];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === Kind.VARIABLE) count += jsonValues(variables?.[node.name.value]);
    else if (node.kind === Kind.NULL) continue;
    else {
      count++;
      if (node.kind === Kind.OBJECT) for (const f of node.fields) stack.push(f.value);
      else if (node.kind === Kind.LIST) stack.push(...node.values);
    }
  }
  return count;
}

/**
 * Whether raw variables hold more than `maxValues` values or nest deeper than `maxDepth`:
 * a refusal, or undefined. Stops as soon as either bound is passed.
 */
export function variablesProblem(
  variables: unknown,
  maxValues = MAX_VARIABLE_VALUES,
  maxDepth = MAX_VARIABLE_DEPTH,
): Error | undefined {
  let count = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: variables, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return tooDeep(`variables nest deeper than ${maxDepth} levels`);
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (++count > maxValues) {
        return createGraphQLError(`variables hold more than ${maxValues} values`, {
          extensions: { code: 'QUERY_TOO_COSTLY' },
        });
      }
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Whether a JSON request body holds more values than variables may (with room for the
 * request's own fields) or nests deeper than they may: the same refusals as `variablesProblem`,
 * found in one pass over the text, without building the values. Text inside strings (the
 * document itself) is skipped. A body that is not JSON is left to the parser to refuse.
 */
export function jsonProblem(
  text: string,
  maxValues = MAX_VARIABLE_VALUES,
  maxDepth = MAX_VARIABLE_DEPTH,
): Error | undefined {
  // The request object, `variables`, `extensions` and the variable itself sit above the values.
  const depthLimit = maxDepth + 3;
  const valueLimit = maxValues + 16;
  let values = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > depthLimit) return tooDeep(`variables nest deeper than ${maxDepth} levels`);
      values++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
    else if (c === 44 /* , */) values++;
    if (values > valueLimit) {
      return createGraphQLError(`variables hold more than ${maxValues} values`, {
        extensions: { code: 'QUERY_TOO_COSTLY' },
      });
    }
  }
  return undefined;
}

interface SetMeasure {
  readonly depth: number;
  readonly cost: number;
  /** Fields in the set and below it, fragments expanded. */
  readonly size: number;
  readonly names: Map<string, { count: number; size: number }>;
  /** Whether the set asks for `totalCount` (a count of its connection). */
  readonly counts: boolean;
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
  variables?: Variables,
): Measure {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const measured = new Map<string, SetMeasure>();
  const inProgress = new Set<string>();
  const EMPTY: SetMeasure = { depth: 0, cost: 0, size: 0, names: new Map(), counts: false };
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
    let counts = false;
    const names: SetMeasure['names'] = new Map();
    // graphql-js compares a fragment spread twice in one set only once.
    const spread = new Set<string>();
    for (const selection of selectionSet.selections) {
      let inner: SetMeasure;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? measure(selection.selectionSet, false) : EMPTY;
        const read = atRoot ? rules.rootReadCost(selection.name.value) : 0;
        const filter = FILTER_VALUE_COST * whereValues(selection, variables);
        // A totalCount below is another read at the root (batched per level below it), over the same filter.
        const count = below.counts ? read + filter : 0;
        const fieldSize = 1 + below.size;
        join(names, selection.alias?.value ?? selection.name.value, 1, fieldSize);
        depth = Math.max(depth, below.depth + 1);
        cost += 1 + read + filter + count + multiplier(paginated, selection, variables) * below.cost;
        size += fieldSize;
        counts ||= selection.name.value === 'totalCount';
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
      counts ||= inner.counts;
    }
    return { depth, cost, size, names, counts };
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

const tooCostly = (cost: number, maxCost: number) =>
  createGraphQLError(`query cost ${cost} exceeds the maximum of ${maxCost}`, {
    extensions: { code: 'QUERY_TOO_COSTLY' },
  });

/** The depth and cost refusals of a document, or none (its variables are priced at execution). */
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
  if (cost > maxCost) errors.push(tooCostly(cost, maxCost));
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
 * run at all: a refused document costs a parse and one linear walk. Variables are bounded in
 * size and depth as they arrive (before anything coerces them), and priced with the document
 * before it executes.
 */
export function limitsPlugin(maxDepth: number, maxCost: number, paginated: ReadonlySet<string>): Plugin {
  const rulesBySchema = new WeakMap<GraphQLSchema, CostRules>();
  const rulesOf = (schema: GraphQLSchema) => {
    let rules = rulesBySchema.get(schema);
    if (!rules) {
      rules = costRules(schema);
      rulesBySchema.set(schema, rules);
    }
    return rules;
  };
  // With the variables known, their filters and page sizes are priced: here, not at validation,
  // whose result yoga caches per document whatever the variables.
  const withVariables = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    variableValues?: unknown;
  }) => {
    const variables = args.variableValues as Variables;
    if (!variables || Object.keys(variables).length === 0) return undefined;
    const { cost } = measureDocument(args.document, paginated, rulesOf(args.schema), 0, variables);
    return cost > maxCost ? { errors: [tooCostly(cost, maxCost)] } : undefined;
  };
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (request.method !== 'POST' || !requestParser) return;
      // A body of many thousands of values costs its JSON.parse (objects made, then collected)
      // before anything could count them: scanned first, as text, it costs a pass over bytes.
      // The body is read once: the parser after this gets the text the request kept.
      setRequestParser((async (req: Request) => {
        const problem = jsonProblem(await req.text());
        if (problem) throw problem;
        return requestParser(req);
      }) as typeof requestParser);
    },
    onParams({ params, setParams, setResult }) {
      const problem = variablesProblem(params.variables);
      if (!problem) return;
      setResult({ errors: [problem as never] });
      // yoga still runs the other onParams hooks: they get none of what was refused to walk.
      setParams({ ...params, variables: {} });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refused = withVariables(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = withVariables(args);
      if (refused) setResultAndStopExecution(refused);
    },
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
      const errors = limitErrors(params.documentAST, paginated, rulesOf(params.schema), maxDepth, maxCost);
      if (errors.length > 0) setResult(errors);
    },
  };
}
