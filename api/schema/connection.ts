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

/** Page sizes of every connection (`first`, `last`): derived lists use these bounds. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
