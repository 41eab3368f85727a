import type { QueryConfig } from 'pg';

/** The one method of a pool that reads use: a pool, or a request's share of one (the API's). */
export interface SqlReads {
  /** A text, or a `prepared(text, values)` (shared/clients/postgres.ts) for a statement read often. */
  query<R = Record<string, unknown>>(text: string | QueryConfig, values?: unknown[]): Promise<{ rows: R[] }>;
}
