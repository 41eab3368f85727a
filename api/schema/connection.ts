// Through graphql-yoga, not `new GraphQLError` from graphql: yoga only shows errors of its own
// graphql build to clients, and a test runner may resolve graphql's other (ESM) build.
import { createGraphQLError } from 'graphql-yoga';

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

/** Cursors are opaque to clients: base64url of the sort key, so their format may change freely. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === shape.length &&
      key.every((part, i) => typeof part === shape[i])
    ) {
      return key as (string | number)[];
    }
  } catch {
    // fall through to the error below
  }
  throw createGraphQLError('after is not a cursor returned by this API', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/** Builds a connection from `limit + 1` fetched rows: the extra row only says a next page exists. */
export function toConnection<T>(rows: readonly T[], limit: number, cursorOf: (row: T) => string) {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
