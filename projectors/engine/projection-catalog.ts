import type { Pool } from '../../shared/clients/postgres.ts';
import type { StreamName } from '../../shared/events/streams.ts';

/**
 * The `vista_projections` table: which projections exist, at which version and generation,
 * and what their owner last reported. Status and the API read it; the engine writes it.
 */
export async function registerProjection(
  pool: Pool,
  projection: { name: string; version: number },
  generation: number,
  streams: readonly StreamName[],
): Promise<void> {
  await pool.query(
    `INSERT INTO vista_projections (name, version, generation, status) VALUES ($1, $2, $3, 'starting')
     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, generation = EXCLUDED.generation,
       status = 'starting', detail = NULL, updated_at = now()`,
    [projection.name, projection.version, generation],
  );
  // Checkpoint rows exist from the start, so the first batch's compare-and-set has rows to lock.
  await pool.query(
    `INSERT INTO vista_checkpoints (projection, generation, stream, position)
     SELECT $1, $2, unnest($3::text[]), 0 ON CONFLICT DO NOTHING`,
    [projection.name, generation, streams],
  );
}

export async function recordState(
  pool: Pool,
  name: string,
  status: string,
  detail: string | null,
): Promise<void> {
  await pool.query(
    'UPDATE vista_projections SET status = $2, detail = $3, updated_at = now() WHERE name = $1',
    [name, status, detail],
  );
}
