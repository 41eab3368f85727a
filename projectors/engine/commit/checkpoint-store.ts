import type { Pool } from '../../../shared/clients/postgres.ts';
import { encodeCheckpointNotice } from './checkpoint-notice.ts';
import type { Positions } from './positions.ts';
import type { Statement } from './statements.ts';

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

/** SQLSTATE of the error the checkpoint's compare-and-set raises when the stored positions differ. */
const STALE_SQLSTATE = 'VC001'; // raised by vista_check_checkpoint

/**
 * The statements that move a checkpoint from `expected` to `next` inside the caller's
 * transaction (sent with the rest of its unit of work, none waiting for another's answer), so
 * the positions commit or roll back with the rows they describe. The server does the
 * compare-and-set: it locks the stored rows, and a position that differs from the one this
 * writer expected raises an error (read by `checkpointError` as `StaleCheckpointError`) that
 * stops the statements after it. The row lock plus the comparison fence off a stale writer: a
 * batch is applied at most once even if two processes believe they own the projection. Each
 * partition has its own rows: partitions commit side by side.
 */
export function advanceCheckpointStatements(
  projection: string,
  generation: number,
  partition: number,
  expected: Positions,
  next: Positions,
): Statement[] {
  const known = Object.entries(expected);
  // vista_check_checkpoint (support/migrations.ts) locks the stored rows and raises STALE_SQLSTATE.
  const check: Statement = {
    text: 'SELECT vista_check_checkpoint($1, $2, $3, $4::text[], $5::bigint[])',
    values: [
      projection,
      generation,
      partition,
      known.map(([stream]) => stream),
      known.map(([, position]) => position ?? 0),
    ],
    prepared: true,
  };
  const streams = Object.keys(next);
  if (streams.length === 0) return [check];
  // Move the positions and queue the wake-up that readers get at commit: it carries the
  // positions, so a reader need not read them back (checkpoint-notice.ts).
  const move = {
    text: `WITH moved AS (
       INSERT INTO vista_checkpoints (projection, generation, partition, stream, position)
       SELECT $1, $2, $6, s.stream, s.position FROM unnest($3::text[], $4::bigint[]) AS s(stream, position)
       ON CONFLICT (projection, generation, partition, stream)
       DO UPDATE SET position = GREATEST(vista_checkpoints.position, EXCLUDED.position), updated_at = now()
       RETURNING 1)
     SELECT pg_notify($5, current_schema() || ' ' || $7) FROM (SELECT count(*) FROM moved) AS done`,
    values: [
      projection,
      generation,
      streams,
      Object.values(next),
      CHECKPOINT_CHANNEL,
      partition,
      encodeCheckpointNotice({ projection, generation, partition, positions: next }),
    ],
    prepared: true,
  };
  return [check, move];
}

/** The `StaleCheckpointError` an error raised by `advanceCheckpointStatements` stands for; undefined for any other. */
export function checkpointError(error: unknown): StaleCheckpointError | undefined {
  if ((error as { code?: unknown } | null)?.code !== STALE_SQLSTATE) return undefined;
  return new StaleCheckpointError((error as Error).message, { cause: error });
}
