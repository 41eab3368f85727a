// Every connection's pages, cursors and edges are derived per view: api/derive/query-input.ts.
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

/** Most items a page may hold (`first`/`last`), and the page without either. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
