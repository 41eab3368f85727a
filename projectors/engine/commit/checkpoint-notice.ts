import type { Positions } from './positions.ts';

/**
 * What a commit's NOTIFY says: the partition's checkpoint it committed. A reader that knows the
 * projection's live generation (and that it has one partition, so that this checkpoint is the
 * projection's position) takes the positions from it without reading the table back; any other
 * payload (a projection's bare name, as a generation switch or an operator's command sends, or
 * one it cannot read) means "re-read".
 *
 * The channel is shared by every installation on the database, and two may have a projection
 * of the same name and generation: the commit's SQL puts the schema its checkpoint rows are in
 * (its `current_schema()`) before the JSON, `<schema> <json>`, and a reader takes only its own.
 */
export interface CheckpointNotice {
  readonly projection: string;
  readonly generation: number;
  readonly partition: number;
  readonly positions: Positions;
}

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; the bare name says "re-read" instead. */
const MAX_PAYLOAD_BYTES = 7800; // and the schema's name (at most 63 bytes) before it

/**
 * The JSON of a commit's NOTIFY (after the schema, which the SQL adds), or the projection's name
 * when it is too large.
 */
export function encodeCheckpointNotice(notice: CheckpointNotice): string {
  const payload = JSON.stringify({
    projection: notice.projection,
    generation: notice.generation,
    partition: notice.partition,
    positions: notice.positions,
  });
  return Buffer.byteLength(payload) < MAX_PAYLOAD_BYTES ? payload : notice.projection;
}

/**
 * The notice a payload carries for the installation in `schema`; undefined for another
 * installation's, a bare name or anything not shaped like a notice.
 */
export function parseCheckpointNotice(
  payload: string | undefined,
  schema: string,
): CheckpointNotice | undefined {
  if (!payload?.startsWith(`${schema} {`)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.slice(schema.length + 1));
  } catch {
    return undefined;
  }
  const { projection, generation, partition, positions } = value as Record<string, unknown>;
  if (
    typeof projection !== 'string' ||
    !Number.isSafeInteger(generation) ||
    !Number.isSafeInteger(partition) ||
    typeof positions !== 'object' ||
    positions === null ||
    Array.isArray(positions)
  )
    return undefined;
  const read: Record<string, number> = {};
  for (const [stream, position] of Object.entries(positions)) {
    if (!Number.isSafeInteger(position) || (position as number) < 0) return undefined;
    read[stream] = position as number;
  }
  return { projection, generation: generation as number, partition: partition as number, positions: read };
}
