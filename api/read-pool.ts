import type pg from 'pg';
import { createPool } from '../shared/clients/postgres.ts';

/**
 * The API's PostgreSQL pool: 20 connections, each statement bounded by QUERY_TIMEOUT_MS, every
 * transaction read-only, and no parallel plans. A request runs one read at a time
 * (request-stores.ts), but PostgreSQL gives a scan of a large table parallel workers besides
 * (one for 200,000 orders, up to `max_parallel_workers_per_gather` for larger ones): a single
 * client's filtered count would hold that many cores of the machine. Serial, a request's read
 * takes at most one. On two cores already saturated (api-priced-work.test.ts with a busy core),
 * another client's probe waited the same either way (p50 15 ms against 15): the bound matters
 * where there are cores for the workers to take.
 */
export function createReadPool(databaseUrl: string, queryTimeoutMs: number): pg.Pool {
  return createPool(databaseUrl, {
    applicationName: 'vista-api',
    max: 20,
    statementTimeoutMs: queryTimeoutMs,
    readOnly: true,
    serialPlans: true,
  });
}
