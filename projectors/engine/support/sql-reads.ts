/** The one method of a pool that reads use: a pool, or a request's share of one (the API's). */
export interface SqlReads {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}
