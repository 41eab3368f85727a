import type { Positions } from '../../projectors/engine/internal.ts';
import type { Pool } from '../../shared/clients/postgres.ts';

// What the engine's tables and PostgreSQL's activity say about a test environment's
// projections, read from outside the projector processes.

/** Each projection's live-generation positions (the least over its partitions), by stream. */
export async function livePositions(pool: Pool): Promise<Record<string, Positions>> {
  const { rows } = await pool.query<{ projection: string; stream: string; position: number }>(
    `SELECT c.projection, c.stream, c.position
       FROM vista_positions c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation`,
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

/** A lease held now: the projection, its owner (a projector process) and the epoch it holds. */
export interface LeaseHolder {
  readonly projection: string;
  readonly partition: number;
  readonly owner: string;
  readonly epoch: number;
}

/** The leases of the given projections that an owner holds now (unexpired rows of `vista_leases`). */
export async function leaseHolders(pool: Pool, projections: readonly string[]): Promise<LeaseHolder[]> {
  const { rows } = await pool.query<LeaseHolder>(
    `SELECT projection, partition, owner, epoch::int AS epoch FROM vista_leases
      WHERE projection = ANY($1::text[]) AND owner IS NOT NULL AND expires_at > now()
      ORDER BY projection, partition`,
    [projections],
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

export { waitForLiveViews } from '../../projectors/engine/internal.ts';
