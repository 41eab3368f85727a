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
  readonly generation: number;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly retryRequested: boolean;
}

/**
 * Text columns cannot hold NUL (PostgreSQL refuses it in text and jsonb): it is written as the
 * six characters `\u0000`, so that a letter about any message can be stored. The payload
 * itself is kept byte for byte (bytea).
 */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}

/**
 * Records new dead letters and marks retried ones resolved, in the batch's transaction: a
 * poison event is never both skipped and lost, and a retried one is applied exactly once.
 * A letter that fails again is reopened with one more attempt. Letters belong to one
 * generation: a rebuild starts with none and leaves the live generation's alone.
 */
export async function settleDeadLetters(
  tx: PoolClient,
  projection: string,
  generation: number,
  letters: readonly DeadLetter[],
  resolvedIds: readonly number[] = [],
): Promise<void> {
  if (resolvedIds.length > 0) {
    await tx.query(
      `UPDATE vista_dead_letters SET resolved_at = now(), resolution = 'applied', retry_requested_at = NULL
        WHERE projection = $1 AND generation = $2 AND id = ANY($3::bigint[])`,
      [projection, generation, resolvedIds],
    );
  }
  // One row per position: a document error can name the same event for several documents.
  const unique = [...new Map(letters.map((l) => [`${l.stream}#${l.sequence}`, l])).values()];
  if (unique.length === 0) return;
  await tx.query(
    `INSERT INTO vista_dead_letters (projection, generation, stream, sequence, subject, type, payload, error_code, error)
     SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::bytea[], $8::text[], $9::text[])
     ON CONFLICT (projection, generation, stream, sequence)
     DO UPDATE SET attempts = vista_dead_letters.attempts + 1, error_code = EXCLUDED.error_code,
                   error = EXCLUDED.error, created_at = now(), resolved_at = NULL, resolution = NULL,
                   retry_requested_at = NULL`,
    [
      projection,
      generation,
      unique.map((l) => l.stream),
      unique.map((l) => l.sequence),
      unique.map((l) => storable(l.subject)),
      unique.map((l) => (l.type === undefined ? null : storable(l.type))),
      unique.map((l) => Buffer.from(l.payload)),
      unique.map((l) => storable(l.errorCode)),
      unique.map((l) => storable(l.error)),
    ],
  );
}

interface Row {
  id: number;
  generation: number;
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
    generation: row.generation,
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

/**
 * The unresolved dead letters of a projection's live generation (or of `generation`), oldest
 * position first.
 */
export async function listDeadLetters(
  pool: Pool,
  projection: string,
  options: { generation?: number; retryRequestedOnly?: boolean } = {},
): Promise<StoredDeadLetter[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM vista_dead_letters
      WHERE projection = $1 AND resolved_at IS NULL
        AND generation = coalesce($2::integer, (SELECT generation FROM vista_projections WHERE name = $1))
        ${options.retryRequestedOnly ? 'AND retry_requested_at IS NOT NULL' : ''}
      ORDER BY stream, sequence`,
    [projection, options.generation ?? null],
  );
  return rows.map(fromRow);
}

/**
 * Asks the owner of each current generation of a projection (live, and building during a
 * rebuild) to retry that generation's unresolved dead letters (after a fix was deployed) and,
 * if it halted, to resume. Returns how many letters were marked.
 */
export async function requestRetry(pool: Pool, projection: string): Promise<number> {
  const marked = await pool.query(
    `UPDATE vista_dead_letters d SET retry_requested_at = now()
      WHERE projection = $1 AND resolved_at IS NULL
        AND generation IN (SELECT generation FROM vista_generations
                            WHERE projection = $1 AND state IN ('live', 'building'))`,
    [projection],
  );
  await pool.query(
    `UPDATE vista_generations SET resume_requested = true WHERE projection = $1 AND state IN ('live', 'building')`,
    [projection],
  );
  return marked.rowCount ?? 0;
}

/** Marks a retry request as taken in hand (the letters stay open until replayed or retired). */
export async function acknowledgeRetry(
  pool: Pool,
  projection: string,
  generation: number,
  ids: readonly number[],
): Promise<void> {
  await pool.query(
    `UPDATE vista_dead_letters SET retry_requested_at = NULL
      WHERE projection = $1 AND generation = $2 AND id = ANY($3::bigint[])`,
    [projection, generation, ids],
  );
}

/** True (once) when an operator asked this generation to resume; clears the request. */
export async function takeResumeRequest(
  pool: Pool,
  projection: string,
  generation: number,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE vista_generations SET resume_requested = false WHERE projection = $1 AND generation = $2 AND resume_requested',
    [projection, generation],
  );
  return (rowCount ?? 0) > 0;
}
