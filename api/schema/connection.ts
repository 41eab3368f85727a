// Through graphql-yoga, not `new GraphQLError` from graphql: yoga only shows errors of its own
// graphql build to clients, and a test runner may resolve graphql's other (ESM) build.
import { createGraphQLError } from 'graphql-yoga';
import { unstorable } from '../../shared/events/storable.ts';

export const connectionTypeDefs = /* GraphQL */ `
  "Relay pagination state of a connection."
  type PageInfo {
    "True when more items follow the last edge."
    hasNextPage: Boolean!
    "True when items precede the first edge (always false for forward pagination)."
    hasPreviousPage: Boolean!
    "Cursor of the first edge, null when there are no edges."
    startCursor: String
    "Cursor of the last edge; pass it as \`after\` for the next page."
    endCursor: String
  }
`;

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw createGraphQLError(`first must be between 0 and ${MAX_PAGE_SIZE}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return first;
}

/** What a cursor is a position in: a cursor of one connection is refused by another. */
export type CursorKind = 'orders' | 'products';

const MAX_CURSOR_LENGTH = 1024;

/**
 * Cursors are opaque to clients (base64url of the kind and the sort key of the edge), so their
 * format may change freely; they stay valid while the row they point at keeps its sort key.
 */
export function encodeCursor(kind: CursorKind, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

/**
 * What each part of a cursor's key must be: `integer` a safe integer (it meets a bigint in SQL),
 * `number` any finite number (a search score), `string` a string. Cursors are client input: a
 * forged one holding 1e300, a fraction where SQL wants a bigint, or a NUL is a client error
 * here, never a failed statement later.
 */
export type CursorPart = 'string' | 'number' | 'integer';

function fits(part: unknown, shape: CursorPart | undefined): boolean {
  if (unstorable(part) !== undefined) return false;
  if (shape === 'integer') return Number.isSafeInteger(part);
  if (shape === 'number') return typeof part === 'number' && Number.isFinite(part);
  return shape === 'string' && typeof part === 'string';
}

export function decodeCursor(
  cursor: string,
  kind: CursorKind,
  shape: readonly CursorPart[],
): (string | number)[] {
  if (cursor.length <= MAX_CURSOR_LENGTH) {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (Array.isArray(decoded) && decoded[0] === kind) {
        const key: unknown[] = decoded.slice(1);
        const valid = key.length === shape.length && key.every((part, i) => fits(part, shape[i]));
        if (valid) return key as (string | number)[];
      }
    } catch {
      // fall through to the error below
    }
  }
  throw createGraphQLError('after is not a cursor returned by this connection', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * Builds a connection from `limit + 1` fetched rows: the extra row only says a next page exists.
 * Cursors are encoded only when a query selects them (getters): most pages are read without
 * asking for a cursor per edge, and encoding one is a JSON + base64 round per row.
 */
export function toConnection<R, N>(
  rows: readonly R[],
  limit: number,
  cursorOf: (row: R) => string,
  toNode: (row: R) => N,
) {
  const page = rows.slice(0, limit);
  const edges = page.map((row) => ({
    node: toNode(row),
    get cursor() {
      return cursorOf(row);
    },
  }));
  const first = page[0];
  const last = page.at(-1);
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: false,
      get startCursor() {
        return first === undefined ? null : cursorOf(first);
      },
      get endCursor() {
        return last === undefined ? null : cursorOf(last);
      },
    },
  };
}
