import { LEASE_NAMESPACE } from '../../projectors/engine/lease.ts';
import type { Pool } from '../../shared/clients/postgres.ts';

// What the engine's tables and PostgreSQL's lock table say about a test environment's
// projections, read from outside the projector processes.

/** Per stream, a position (a checkpoint, or the stream heads it is compared with). */
export type Positions = Partial<Record<string, number>>;

/** Each projection's live-generation checkpoint, by stream. */
export async function livePositions(pool: Pool): Promise<Record<string, Positions>> {
  const { rows } = await pool.query<{ projection: string; stream: string; position: number }>(
    `SELECT c.projection, c.stream, c.position
       FROM vista_checkpoints c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation`,
  );
  const positions: Record<string, Positions> = {};
  for (const { projection, stream, position } of rows) {
    positions[projection] = { ...positions[projection], [stream]: position };
  }
  return positions;
}

/** Whether `positions` has reached `heads` on every stream in `heads`. */
export function reached(positions: Positions | undefined, heads: Positions): boolean {
  return Object.entries(heads).every(([stream, head]) => (positions?.[stream] ?? 0) >= (head ?? 0));
}

/** Each projection's status as `vista_projections` records it (the state `vista status` shows). */
export async function projectionStatus(
  pool: Pool,
): Promise<Record<string, { status: string; detail: string | null }>> {
  const { rows } = await pool.query<{ name: string; status: string; detail: string | null }>(
    'SELECT name, status, detail FROM vista_projections',
  );
  return Object.fromEntries(rows.map((r) => [r.name, { status: r.status, detail: r.detail }]));
}

/** A granted lease lock: the projection and the PostgreSQL backend (session) holding it. */
export interface LeaseLock {
  readonly projection: string;
  readonly backendPid: number;
  readonly applicationName: string;
}

/**
 * The lease locks held now in this database, for the given projections: the session advisory
 * locks `pg_try_advisory_lock(LEASE_NAMESPACE, hashtext(name))` takes (classid is the first key,
 * objid the second as an unsigned oid, objsubid 2 for the two-key form).
 */
export async function leaseLocks(pool: Pool, projections: readonly string[]): Promise<LeaseLock[]> {
  const { rows } = await pool.query<LeaseLock>(
    `SELECT p.name AS projection, l.pid AS "backendPid", coalesce(a.application_name, '') AS "applicationName"
       FROM unnest($2::text[]) AS p(name)
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                      AND l.classid = $1::bigint::oid AND l.objid = hashtext(p.name)::oid
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      ORDER BY p.name`,
    [LEASE_NAMESPACE, projections],
  );
  return rows;
}

/** Sessions of projector processes still connected to this database, by application name. */
export async function projectorSessions(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ application_name: string }>(
    `SELECT application_name FROM pg_stat_activity
      WHERE datname = current_database() AND application_name IN ('vista-leases', 'vista-projectors')`,
  );
  return rows.map((r) => r.application_name);
}

export { waitForLiveViews } from '../../projectors/engine/index.ts';
