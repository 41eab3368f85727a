import type { PageRequest } from '../definition/query.ts';

/** One row of a served view, by field name. */
export type Node = Record<string, unknown>;

/** A Relay connection from `limit + 1` rows in page order; cursors encoded only when selected. */
export function toConnection<R, N>(
  rows: readonly R[],
  request: Pick<PageRequest, 'limit' | 'backward'>,
  cursorOf: (row: R) => string,
  toNode: (row: R) => N,
  totalCount: () => Promise<number>,
) {
  const more = rows.length > request.limit;
  const page = rows.slice(0, request.limit);
  if (request.backward) page.reverse();
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
      hasNextPage: request.backward ? false : more,
      hasPreviousPage: request.backward ? more : false,
      get startCursor() {
        return first === undefined ? null : cursorOf(first);
      },
      get endCursor() {
        return last === undefined ? null : cursorOf(last);
      },
    },
    totalCount,
  };
}

export type Connection = ReturnType<typeof toConnection>;
