import type { Pool } from '../../../shared/clients/postgres.ts';
import { DEFAULT_DEAD_LETTER_MAX, type DeadLetter } from '../poison/dead-letters.ts';
import type { SqlReads } from '../support/sql-reads.ts';

/**
 * Dead letters as operators read them: the CLI, the API and the owner acting on a retry. The
 * one reader of `vista_dead_letters` and what the cap did not keep.
 */

export interface StoredDeadLetter extends DeadLetter {
  readonly id: number;
  readonly generation: number;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly retryRequested: boolean;
}

/** What a generation met past the cap and did not keep, per stream. */
export interface NotKept {
  readonly projection: string;
  readonly generation: number;
  readonly stream: string;
  readonly count: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly lastErrorCode: string;
  readonly cap: number;
}

/** The poison events past the cap of the current (live and building) generations, or one projection's. */
export async function listNotKept(pool: SqlReads, projection?: string): Promise<NotKept[]> {
  const { rows } = await pool.query<{
    projection: string;
    generation: number;
    stream: string;
    count: number;
    first_sequence: number;
    last_sequence: number;
    last_error_code: string;
    cap: number;
  }>(
    `SELECT n.*, coalesce((SELECT value FROM vista_settings WHERE name = 'dead_letter_max'), $2) AS cap
       FROM vista_dead_letters_not_kept n
       JOIN vista_generations g ON g.projection = n.projection AND g.generation = n.generation
      WHERE g.role IN ('live', 'building') AND ($1::text IS NULL OR n.projection = $1)
      ORDER BY n.projection, n.generation, n.stream`,
    [projection ?? null, DEFAULT_DEAD_LETTER_MAX],
  );
  return rows.map((r) => ({
    projection: r.projection,
    generation: r.generation,
    stream: r.stream,
    count: r.count,
    firstSequence: r.first_sequence,
    lastSequence: r.last_sequence,
    lastErrorCode: r.last_error_code,
    cap: r.cap,
  }));
}

/** One line for an operator: what the cap did not keep, and what brings it back. */
export function describeNotKept(n: NotKept): string {
  return `dead letters capped at ${n.cap} (DEAD_LETTER_MAX): ${n.count} more poison event${n.count === 1 ? '' : 's'} on ${n.stream} (#${n.firstSequence}–#${n.lastSequence}, last ${n.lastErrorCode}) were skipped without a letter; they stay in the stream, and a rebuild after a fix applies them`;
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

/** A dead letter as the API serves it: its payload cut to a preview unless asked whole. */
export interface DeadLetterPreview extends StoredDeadLetter {
  /** The whole payload's size (`payload` holds its first bytes, or all of them). */
  readonly payloadBytes: number;
}

/** The columns of a letter, its payload cut to `bytes` (in SQL: the rest is never read). */
const previewColumns = (bytes: string) =>
  `id, generation, stream, sequence, subject, type, error_code, error, attempts, created_at, retry_requested_at,
   substring(payload FROM 1 FOR ${bytes}) AS payload, octet_length(payload) AS payload_bytes`;

function preview(row: Row & { payload_bytes: number }): DeadLetterPreview {
  return { ...fromRow(row), payloadBytes: row.payload_bytes };
}

/** A generation's unresolved letters, oldest position first, at most `first`, each payload cut to `previewBytes`. */
export async function readDeadLetterPreviews(
  db: SqlReads,
  projection: string,
  generation: number,
  first: number,
  previewBytes: number,
): Promise<DeadLetterPreview[]> {
  const { rows } = await db.query<Row & { payload_bytes: number }>(
    `SELECT ${previewColumns('$4::int')} FROM vista_dead_letters
      WHERE projection = $1 AND generation = $3 AND resolved_at IS NULL
      ORDER BY stream, sequence LIMIT $2`,
    [projection, first, generation, previewBytes],
  );
  return rows.map(preview);
}

/** One letter of a projection by id, resolved or not; its payload whole, or cut to `previewBytes`. */
export async function readDeadLetter(
  db: SqlReads,
  projection: string,
  id: number,
  previewBytes: number | null,
): Promise<DeadLetterPreview | undefined> {
  // NULL: the whole payload.
  const { rows } = await db.query<Row & { payload_bytes: number }>(
    `SELECT ${previewColumns('coalesce($3::int, octet_length(payload))')} FROM vista_dead_letters
      WHERE projection = $1 AND id = $2`,
    [projection, id, previewBytes],
  );
  const row = rows[0];
  return row ? preview(row) : undefined;
}
