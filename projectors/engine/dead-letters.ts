import type { PoolClient } from '../../shared/clients/postgres.ts';

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

/** Records dead letters in the batch's transaction: a poison event is never both skipped and lost. */
export async function recordDeadLetters(
  tx: PoolClient,
  projection: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  await tx.query(
    `INSERT INTO vista_dead_letters (projection, stream, sequence, subject, type, payload, error_code, error)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::text[])
     ON CONFLICT (projection, stream, sequence)
     DO UPDATE SET attempts = vista_dead_letters.attempts + 1, error_code = EXCLUDED.error_code,
                   error = EXCLUDED.error, created_at = now()`,
    [
      projection,
      letters.map((l) => l.stream),
      letters.map((l) => l.sequence),
      letters.map((l) => l.subject),
      letters.map((l) => l.type ?? null),
      letters.map((l) => Buffer.from(l.payload)),
      letters.map((l) => l.errorCode),
      letters.map((l) => l.error),
    ],
  );
}
