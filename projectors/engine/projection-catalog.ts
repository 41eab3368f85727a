import type { Pool } from '../../shared/clients/postgres.ts';

/**
 * Records what a generation's owner reports (`vista_generations.status`); for the live
 * generation also in `vista_projections`, which status and the API read.
 */
export async function recordState(
  pool: Pool,
  name: string,
  generation: number,
  status: string,
  detail: string | null,
): Promise<void> {
  await pool.query(
    `WITH g AS (
       UPDATE vista_generations SET status = $3, detail = $4 WHERE projection = $1 AND generation = $2 RETURNING state)
     UPDATE vista_projections SET status = $3, detail = $4, updated_at = now()
      WHERE name = $1 AND generation = $2 AND EXISTS (SELECT 1 FROM g WHERE state = 'live')`,
    [name, generation, status, detail],
  );
}
