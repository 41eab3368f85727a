import type { Pool, PoolClient } from '../../../shared/clients/postgres.ts';
import type { RawMessage } from '../source/ordered-source.ts';

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

/** The dead letter of a message: everything needed to retry it, and why it failed. */
export function deadLetterOf(
  raw: RawMessage,
  errorCode: string,
  error: string,
  type: string | undefined,
): DeadLetter {
  return {
    stream: raw.stream,
    sequence: raw.sequence,
    subject: raw.subject,
    type,
    payload: raw.payload,
    errorCode,
    error,
  };
}

/**
 * Text columns cannot hold NUL (PostgreSQL refuses it in text and jsonb): it is written as the
 * six characters `\u0000`, so that a letter about any message can be stored. The payload
 * itself is kept byte for byte (bytea).
 */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}

/** An error's text is kept to this many characters: a store's message may quote a whole value. */
const MAX_ERROR_CHARS = 2000;

/**
 * The cap on a generation's unresolved dead letters when DEAD_LETTER_MAX does not say otherwise.
 *
 * Why a cap, and why this one: anyone who can publish can make dead letters (10,000 poison
 * events were 40,000 rows, four projections reading the stream, each with its payload of up to
 * 1 MB), and every status read counts them. Past the cap a poison event is not kept as a
 * letter of its own; it is counted, per generation and stream, with its first and last sequence
 * and its last error code (`vista_dead_letters_not_kept`), shown by `vista status`, `vista
 * dead-letters`, the API (`Projection.deadLettersNotKept`) and the metric
 * `vista_dead_letters_not_kept`. Nothing is lost silently: the events stay in their stream, and
 * the generation has skipped them as it skips any poison event; a rebuild after a fix (what
 * `retry-dead-letters` does for a skipping projection) replays them. A projection that halts on
 * poison stops at its first letter, far below the cap, and a letter that fails again keeps its
 * row whatever the count.
 */
export const DEFAULT_DEAD_LETTER_MAX = 10_000;

/** Stores the installation's cap (DEAD_LETTER_MAX): each projector process writes it at start. */
export async function storeDeadLetterCap(pool: Pool, max: number): Promise<void> {
  await pool.query(
    `INSERT INTO vista_settings (name, value) VALUES ('dead_letter_max', $1)
     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [max],
  );
}

/**
 * Of a batch's letters, those that get a row (a position that has one already always does)
 * and those past the cap.
 */
async function withinCap(
  tx: PoolClient,
  projection: string,
  generation: number,
  letters: readonly DeadLetter[],
): Promise<{ kept: DeadLetter[]; notKept: DeadLetter[] }> {
  const { rows } = await tx.query<{ max: number; unresolved: number }>(
    `WITH cap AS (SELECT coalesce((SELECT value FROM vista_settings WHERE name = 'dead_letter_max'), $3) AS max)
     SELECT cap.max, (SELECT count(*) FROM (SELECT 1 FROM vista_dead_letters
                        WHERE projection = $1 AND generation = $2 AND resolved_at IS NULL
                        LIMIT cap.max) counted) AS unresolved
       FROM cap`,
    [projection, generation, DEFAULT_DEAD_LETTER_MAX],
  );
  const { max, unresolved } = rows[0] ?? { max: DEFAULT_DEAD_LETTER_MAX, unresolved: 0 };
  if (unresolved + letters.length <= max) return { kept: [...letters], notKept: [] };
  const { rows: known } = await tx.query<{ stream: string; sequence: number }>(
    `SELECT stream, sequence FROM vista_dead_letters
      WHERE projection = $1 AND generation = $2
        AND (stream, sequence) IN (SELECT * FROM unnest($3::text[], $4::bigint[]))`,
    [projection, generation, letters.map((l) => l.stream), letters.map((l) => l.sequence)],
  );
  const has = new Set(known.map((k) => `${k.stream}#${k.sequence}`));
  const kept = letters.filter((l) => has.has(`${l.stream}#${l.sequence}`));
  let room = Math.max(0, max - unresolved);
  const notKept: DeadLetter[] = [];
  for (const letter of letters) {
    if (has.has(`${letter.stream}#${letter.sequence}`)) continue;
    if (room > 0) {
      kept.push(letter);
      room--;
    } else notKept.push(letter);
  }
  return { kept, notKept };
}

/** Counts letters past the cap, per stream: how many, first and last sequence, last error code. */
async function countNotKept(
  tx: PoolClient,
  projection: string,
  generation: number,
  letters: readonly DeadLetter[],
): Promise<void> {
  const streams = new Map<string, { count: number; first: number; last: number; code: string }>();
  for (const l of letters) {
    const s = streams.get(l.stream);
    if (!s) streams.set(l.stream, { count: 1, first: l.sequence, last: l.sequence, code: l.errorCode });
    else {
      s.count++;
      s.first = Math.min(s.first, l.sequence);
      if (l.sequence >= s.last) [s.last, s.code] = [l.sequence, l.errorCode];
    }
  }
  const entries = [...streams];
  await tx.query(
    `INSERT INTO vista_dead_letters_not_kept AS n (projection, generation, stream, count, first_sequence, last_sequence, last_error_code)
     SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
     ON CONFLICT (projection, generation, stream) DO UPDATE
        SET count = n.count + EXCLUDED.count, first_sequence = least(n.first_sequence, EXCLUDED.first_sequence),
            last_sequence = greatest(n.last_sequence, EXCLUDED.last_sequence),
            last_error_code = CASE WHEN EXCLUDED.last_sequence >= n.last_sequence
                                   THEN EXCLUDED.last_error_code ELSE n.last_error_code END,
            updated_at = now()`,
    [
      projection,
      generation,
      entries.map(([stream]) => stream),
      entries.map(([, s]) => s.count),
      entries.map(([, s]) => s.first),
      entries.map(([, s]) => s.last),
      entries.map(([, s]) => storable(s.code)),
    ],
  );
}

/** Forgets what a generation did not keep (it starts over, or is gone). */
export async function forgetNotKept(tx: PoolClient, projection: string, generation: number): Promise<void> {
  await tx.query('DELETE FROM vista_dead_letters_not_kept WHERE projection = $1 AND generation = $2', [
    projection,
    generation,
  ]);
}

/**
 * Records new dead letters and marks retried ones resolved, in the batch's transaction: a
 * poison event is never both skipped and lost, and a retried one is applied exactly once.
 * A letter that fails again is reopened with one more attempt. Letters belong to one
 * generation: a rebuild starts with none and leaves the live generation's alone. Past the cap
 * (DEFAULT_DEAD_LETTER_MAX), new letters are counted instead of kept.
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
  const { kept, notKept } = await withinCap(tx, projection, generation, unique);
  if (notKept.length > 0) await countNotKept(tx, projection, generation, notKept);
  if (kept.length === 0) return;
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
      kept.map((l) => l.stream),
      kept.map((l) => l.sequence),
      kept.map((l) => storable(l.subject)),
      kept.map((l) => (l.type === undefined ? null : storable(l.type))),
      kept.map((l) => Buffer.from(l.payload)),
      kept.map((l) => storable(l.errorCode)),
      kept.map((l) => storable(l.error.slice(0, MAX_ERROR_CHARS))),
    ],
  );
}

/**
 * The positions an operator chose to skip (`skip-dead-letter`), in any generation of the
 * projection: a decision about the event, which a replay into a new generation honours too.
 */
export async function skippedPositions(pool: Pool, projection: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ stream: string; sequence: number }>(
    `SELECT DISTINCT stream, sequence FROM vista_dead_letters WHERE projection = $1 AND resolution = 'skipped'`,
    [projection],
  );
  return new Set(rows.map((r) => `${r.stream}#${r.sequence}`));
}
