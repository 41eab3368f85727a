import type { Pool, PoolClient } from '../../shared/clients/postgres.ts';

/** A message that could not be projected, kept with everything needed to retry it after a fix. */
export interface DeadLetter {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
  readonly type: string | undefined;
  readonly payload: Uint8Array;
  readonly errorCode: string;
  readonly error: string;
}

export interface StoredDeadLetter extends DeadLetter {
  readonly id: number;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly retryRequested: boolean;
}

/**
 * Records new dead letters and marks retried ones resolved, in the batch's transaction: a
 * poison event is never both skipped and lost, and a retried one is applied exactly once.
 * A letter that fails again is reopened with one more attempt.
 */
export async function settleDeadLetters(
  tx: PoolClient,
  projection: string,
  letters: readonly DeadLetter[],
  resolvedIds: readonly number[] = [],
): Promise<void> {
  if (resolvedIds.length > 0) {
    await tx.query(
      'UPDATE vista_dead_letters SET resolved_at = now(), retry_requested_at = NULL WHERE projection = $1 AND id = ANY($2::bigint[])',
      [projection, resolvedIds],
    );
  }
  // One row per position: a document error can name the same event for several documents.
  const unique = [...new Map(letters.map((l) => [`${l.stream}#${l.sequence}`, l])).values()];
  if (unique.length === 0) return;
  await tx.query(
    `INSERT INTO vista_dead_letters (projection, stream, sequence, subject, type, payload, error_code, error)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::text[])
     ON CONFLICT (projection, stream, sequence)
     DO UPDATE SET attempts = vista_dead_letters.attempts + 1, error_code = EXCLUDED.error_code,
                   error = EXCLUDED.error, created_at = now(), resolved_at = NULL, retry_requested_at = NULL`,
    [
      projection,
      unique.map((l) => l.stream),
      unique.map((l) => l.sequence),
      unique.map((l) => l.subject),
      unique.map((l) => l.type ?? null),
      unique.map((l) => Buffer.from(l.payload)),
      unique.map((l) => l.errorCode),
      unique.map((l) => l.error),
    ],
  );
}

interface Row {
  id: number;
  stream: string;
  sequence: number;
  subject: string;
  type: string | null;
  payload: Buffer;
  error_code: string;
  error: string;
  attempts: number;
  created_at: Date;
  retry_requested_at: Date | null;
}

function fromRow(row: Row): StoredDeadLetter {
  return {
    id: row.id,
    stream: row.stream,
    sequence: row.sequence,
    subject: row.subject,
    type: row.type ?? undefined,
    payload: new Uint8Array(row.payload),
    errorCode: row.error_code,
    error: row.error,
    attempts: row.attempts,
    createdAt: row.created_at,
    retryRequested: row.retry_requested_at !== null,
  };
}

/** The unresolved dead letters of a projection, oldest position first. */
export async function listDeadLetters(
  pool: Pool,
  projection: string,
  options: { retryRequestedOnly?: boolean } = {},
): Promise<StoredDeadLetter[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM vista_dead_letters
      WHERE projection = $1 AND resolved_at IS NULL ${options.retryRequestedOnly ? 'AND retry_requested_at IS NOT NULL' : ''}
      ORDER BY stream, sequence`,
    [projection],
  );
  return rows.map(fromRow);
}

/**
 * Asks the projection's owner to retry its unresolved dead letters (after a fix was deployed)
 * and, if it halted, to resume. Returns how many letters were marked.
 */
export async function requestRetry(pool: Pool, projection: string): Promise<number> {
  const marked = await pool.query(
    'UPDATE vista_dead_letters SET retry_requested_at = now() WHERE projection = $1 AND resolved_at IS NULL',
    [projection],
  );
  await pool.query('UPDATE vista_projections SET resume_requested = true WHERE name = $1', [projection]);
  return marked.rowCount ?? 0;
}

/** True (once) when an operator asked this projection to resume; clears the request. */
export async function takeResumeRequest(pool: Pool, projection: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE vista_projections SET resume_requested = false WHERE name = $1 AND resume_requested',
    [projection],
  );
  return (rowCount ?? 0) > 0;
}
