// Through graphql-yoga, not graphql: yoga only shows errors of its own graphql build to clients.
import { createGraphQLError } from 'graphql-yoga';
import {
  type Condition,
  type CursorType,
  type DerivedField,
  type DerivedView,
  InvalidInputError,
  kindOf,
  operatorNamed,
  type PageRequest,
  readCursor,
  type SortTerm,
  tieBreakers,
  type Value,
} from '../../projectors/engine/internal.ts';
import { unstorable } from '../../shared/events/storable.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/connection.ts';

/**
 * Most conditions a `where` may hold, counting nested `and`/`or` (an empty `{}` is one: 80,000
 * of them were a 240 KB filter of no conditions), and how deep it may nest.
 */
export const MAX_CONDITIONS = 200;
export const MAX_WHERE_DEPTH = 8;
/** Longest full-text query, in characters. */
export const MAX_QUERY_LENGTH = 500;

export function badInput(message: string): Error {
  return createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Runs a check of the engine's, what it refuses said as the client's mistake. */
function asInput<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidInputError) throw badInput(error.message);
    throw error;
  }
}

/** One operator's condition on a field, its argument checked by the operator and the field's kind. */
function condition(field: DerivedField, op: string, raw: unknown): Condition {
  const operator = operatorNamed(op);
  if (!operator) throw badInput(`where: ${field.name} has no operator ${op}`);
  const kind = kindOf(field.kind);
  const value = asInput(() => operator.operand(field.name, raw, (v) => kind.value(field.name, v)));
  return { kind: 'op', op: operator.name, field, value };
}

/** Parses a `where` input (already shaped by its GraphQL input type) into a Condition. */
export function parseWhere(view: DerivedView, where: unknown): Condition {
  let count = 0;
  const walk = (input: unknown, depth: number): Condition => {
    if (depth > MAX_WHERE_DEPTH) throw badInput(`where nests and/or at most ${MAX_WHERE_DEPTH} deep`);
    const all: Condition[] = [];
    for (const [name, operators] of Object.entries((input ?? {}) as Record<string, unknown>)) {
      if (operators === null || operators === undefined) continue;
      if (name === 'and' || name === 'or') {
        const parts = (operators as unknown[]).map((part) => walk(part, depth + 1));
        all.push({ kind: name === 'and' ? 'all' : 'any', of: parts });
        continue;
      }
      const field = view.fields.find((f) => f.name === name && f.filterable);
      if (!field) throw badInput(`where: ${name} is not a filterable field of ${view.type}`);
      for (const [op, raw] of Object.entries(operators as Record<string, unknown>)) {
        if (raw === undefined) continue;
        if (++count > MAX_CONDITIONS) throw badInput(`where holds at most ${MAX_CONDITIONS} conditions`);
        all.push(condition(field, op, raw));
      }
    }
    // A part that holds no condition (`{}`) is still one to compile and evaluate.
    if (all.length === 0 && depth > 0 && ++count > MAX_CONDITIONS) {
      throw badInput(`where holds at most ${MAX_CONDITIONS} conditions`);
    }
    return { kind: 'all', of: all };
  };
  return walk(where, 0);
}

/** Key arguments (a lookup's, a subscription's) as the stores can read them. */
export function checkedKey(args: Readonly<Record<string, unknown>>): void {
  const problem = unstorable(args);
  if (problem) throw badInput(problem);
}

/** `where` and shortcut arguments together (a shortcut is `eq` on its field). */
export function withShortcuts(
  view: DerivedView,
  where: Condition,
  shortcuts: Readonly<Record<string, { readonly field: string }>> | undefined,
  args: Readonly<Record<string, unknown>>,
): Condition {
  const extra: Condition[] = [];
  for (const [arg, shortcut] of Object.entries(shortcuts ?? {})) {
    const raw = args[arg];
    // An empty shortcut means "any", as the hand-written `orders(customerId: "")` did.
    if (raw === null || raw === undefined || raw === '') continue;
    const field = view.fields.find((f) => f.name === shortcut.field) as DerivedField;
    extra.push(condition(field, 'eq', raw));
  }
  return extra.length === 0 ? where : { kind: 'all', of: [where, ...extra] };
}

/** The ordering: the terms asked for (or the view's default), then the key breaking ties. */
export function parseOrder(view: DerivedView, orderBy: unknown): SortTerm[] {
  const terms: SortTerm[] = [];
  const asked = orderBy === null || orderBy === undefined ? [] : (orderBy as Record<string, unknown>[]);
  for (const element of asked) {
    const set = Object.entries(element ?? {}).filter(([, d]) => d !== null && d !== undefined);
    if (set.length !== 1) throw badInput('each orderBy element names exactly one field');
    const [name, direction] = set[0] as [string, unknown];
    const field = view.fields.find((f) => f.name === name && (f.sortable || view.key.includes(f)));
    if (!field) throw badInput(`orderBy: ${name} is not a sortable field of ${view.type}`);
    if (direction !== 'ASC' && direction !== 'DESC') throw badInput(`orderBy: ${name} is ASC or DESC`);
    if (!terms.some((t) => t.field === field)) terms.push({ field, direction });
  }
  if (terms.length === 0) terms.push(...view.defaultOrder);
  const lastDirection = terms.at(-1)?.direction ?? 'ASC';
  for (const field of tieBreakers(view)) {
    if (!terms.some((t) => t.field === field)) terms.push({ field, direction: lastDirection });
  }
  return terms;
}

export function signatureOf(view: DerivedView, order: readonly SortTerm[], mode = 'list'): string {
  return `${view.name}:${mode}:${order.map((t) => `${t.field.name}${t.direction === 'ASC' ? '+' : '-'}`).join(',')}`;
}

/** The sort key of a cursor this connection returned; anything else is the client's mistake. */
export function decodeCursor(
  cursor: string,
  signature: string,
  types: readonly CursorType[],
  argument: string,
): Value[] {
  const values = readCursor(cursor, signature, types);
  if (!values) throw badInput(`${argument} is not a cursor returned by this connection`);
  return values;
}

/** Size and direction of a page: `first`/`after` or `last`/`before`, never both. */
export function parsePage(
  view: DerivedView,
  args: Readonly<Record<string, unknown>>,
  explicitFirst: boolean,
  order: readonly SortTerm[],
  where: Condition,
  mode = 'list',
): PageRequest {
  const last = args.last as number | null | undefined;
  const before = args.before as string | null | undefined;
  const after = args.after as string | null | undefined;
  const backward = (last !== null && last !== undefined) || (before !== null && before !== undefined);
  if (backward && (explicitFirst || (after !== null && after !== undefined))) {
    throw badInput('first/after and last/before cannot be used together');
  }
  const size = (value: unknown, name: string) => {
    if (value === null || value === undefined) return DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_PAGE_SIZE) {
      throw badInput(`${name} must be between 0 and ${MAX_PAGE_SIZE}`);
    }
    return value as number;
  };
  const limit = backward ? size(last, 'last') : size(args.first, 'first');
  const signature = signatureOf(view, order, mode);
  const raw = backward ? before : after;
  // A search cursor starts with the hit's score.
  const types = [...(mode === 'search' ? (['number'] as const) : []), ...order.map((t) => t.field.cursor)];
  const cursor = raw ? decodeCursor(raw, signature, types, backward ? 'before' : 'after') : undefined;
  return { where, order, limit, backward, cursor, signature };
}
