import type { Pool, PoolClient } from '../../../shared/clients/postgres.ts';
import type { Positions } from './positions.ts';

/** Name of the NOTIFY channel that wakes readers waiting for a checkpoint (a hint, never the truth). */
export const CHECKPOINT_CHANNEL = 'vista_checkpoints';

/** One partition's checkpoint (partition 0 is the whole of a projection that has one). */
export async function readCheckpoint(
  pool: Pool,
  projection: string,
  generation: number,
  partition = 0,
): Promise<Positions> {
  const { rows } = await pool.query<{ stream: string; position: number }>(
    'SELECT stream, position FROM vista_checkpoints WHERE projection = $1 AND generation = $2 AND partition = $3',
    [projection, generation, partition],
  );
  return Object.fromEntries(rows.map((r) => [r.stream, r.position]));
}

/**
 * Someone else moved the checkpoint since this writer read it: a second owner after a lease
 * was lost. The batch must not be applied; the writer restarts from the stored checkpoint.
 */
export class StaleCheckpointError extends Error {
  readonly code = 'STALE_CHECKPOINT';
}

/**
 * Moves a checkpoint from `expected` to `next` inside the caller's transaction, so the
 * positions commit or roll back with the rows they describe. The row lock plus the comparison
 * fence off a stale writer: a batch is applied at most once even if two processes believe they
 * own the projection. Each partition has its own rows: partitions commit side by side.
 */
export async function advanceCheckpoint(
  tx: PoolClient,
  projection: string,
  generation: number,
  partition: number,
  expected: Positions,
  next: Positions,
): Promise<void> {
  const { rows } = await tx.query<{ stream: string; position: number }>(
    `SELECT stream, position FROM vista_checkpoints
      WHERE projection = $1 AND generation = $2 AND partition = $3 FOR UPDATE`,
    [projection, generation, partition],
  );
  for (const row of rows) {
    if ((expected[row.stream] ?? 0) !== row.position) {
      throw new StaleCheckpointError(
        `${projection} ${row.stream} is at ${row.position}, this writer expected ${expected[row.stream] ?? 0}`,
      );
    }
  }
  const streams = Object.keys(next);
  if (streams.length === 0) return;
  // One round trip: move the positions and queue the wake-up that readers get at commit.
  await tx.query(
    `WITH moved AS (
       INSERT INTO vista_checkpoints (projection, generation, partition, stream, position)
       SELECT $1, $2, $6, s.stream, s.position FROM unnest($3::text[], $4::bigint[]) AS s(stream, position)
       ON CONFLICT (projection, generation, partition, stream)
       DO UPDATE SET position = GREATEST(vista_checkpoints.position, EXCLUDED.position), updated_at = now()
       RETURNING 1)
     SELECT pg_notify($5, $1) FROM (SELECT count(*) FROM moved) AS done`,
    [projection, generation, streams, Object.values(next), CHECKPOINT_CHANNEL, partition],
  );
}
