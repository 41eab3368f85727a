import type { Pool } from '../../../shared/clients/postgres.ts';
import { type Fence, fenceCondition } from '../leases/lease.ts';

/**
 * Moves between these are routine (a live projection goes from running to catching_up and back
 * with every burst of events): they are not kept in the history, which is for what an operator
 * needs to see — retries, halts, stops, standbys and the recoveries from them.
 */
const HEALTHY = ['starting', 'catching_up', 'running'];

/** State changes kept per projection for the console's history (older ones are pruned). */
const STATE_CHANGES_KEPT = 200;

/**
 * Records what a generation's owner reports (`vista_generations.status`); for the live
 * generation also in `vista_projections`, which status and the API read. A change of status
 * (or of its reason), other than between the HEALTHY states, is also appended to
 * `vista_state_changes`, the projection's history. With a `fence`, only while that lease is
 * still the owner's: after a take-over the status is the new owner's to report, and a stale
 * owner's last words (retrying, stopped) must not overwrite it.
 */
export async function recordState(
  pool: Pool,
  name: string,
  generation: number,
  status: string,
  detail: string | null,
  fence?: Fence,
): Promise<void> {
  const owned = fence ? fenceCondition(6, 7, 8, 9) : 'true';
  await pool.query(
    `WITH before AS (
       SELECT status, detail FROM vista_generations WHERE projection = $1 AND generation = $2 AND ${owned}),
     g AS (
       UPDATE vista_generations SET status = $3, detail = $4
        WHERE projection = $1 AND generation = $2 AND ${owned} RETURNING state),
     changed AS (
       INSERT INTO vista_state_changes (projection, generation, status, detail)
       SELECT $1, $2, $3, $4 FROM before
        WHERE (before.status IS DISTINCT FROM $3 OR before.detail IS DISTINCT FROM $4)
          AND NOT (before.status = ANY ($5::text[]) AND $3 = ANY ($5::text[])))
     UPDATE vista_projections SET status = $3, detail = $4, updated_at = now()
      WHERE name = $1 AND generation = $2 AND EXISTS (SELECT 1 FROM g WHERE state = 'live')`,
    [
      name,
      generation,
      status,
      detail,
      HEALTHY,
      ...(fence ? [fence.projection, fence.partition, fence.owner, fence.epoch] : []),
    ],
  );
  await pool.query(
    `DELETE FROM vista_state_changes WHERE projection = $1 AND id < (
       SELECT id FROM vista_state_changes WHERE projection = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
    [name, STATE_CHANGES_KEPT],
  );
}
