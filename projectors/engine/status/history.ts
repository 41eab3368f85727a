import type { ActionRecord } from '../../../shared/operator-commands.ts';
import type { RunningRole } from '../generations/generations.ts';
import type { SqlReads } from '../support/sql-reads.ts';

/**
 * What happened to a projection, as the console shows it: the operator actions taken, the
 * status changes its owners reported, and its generations. Newest first, `last` at most.
 */

/** Its latest operator actions. */
export async function readActions(db: SqlReads, projection: string, last: number): Promise<ActionRecord[]> {
  const { rows } = await db.query<{
    id: string;
    projection: string;
    action: string;
    dead_letter_id: string | null;
    origin: ActionRecord['origin'];
    outcome: ActionRecord['outcome'];
    detail: string;
    at: Date;
  }>('SELECT * FROM vista_operator_actions WHERE projection = $1 ORDER BY id DESC LIMIT $2', [
    projection,
    last,
  ]);
  return rows.map((r) => ({
    id: Number(r.id),
    projection: r.projection,
    action: r.action,
    deadLetterId: r.dead_letter_id === null ? null : Number(r.dead_letter_id),
    origin: r.origin,
    outcome: r.outcome,
    detail: r.detail,
    at: r.at.toISOString(),
  }));
}

/** One change of a generation's status, as its owner reported it. */
export interface StatusChange {
  readonly generation: number;
  readonly status: string;
  readonly detail: string | null;
  readonly at: Date;
}

/** Its latest status changes (routine moves between healthy ones are not kept). */
export async function readStatusChanges(
  db: SqlReads,
  projection: string,
  last: number,
): Promise<StatusChange[]> {
  const { rows } = await db.query<StatusChange>(
    'SELECT generation, status, detail, at FROM vista_status_changes WHERE projection = $1 ORDER BY id DESC LIMIT $2',
    [projection, last],
  );
  return rows;
}

/** One build of a projection, past or present. */
export interface GenerationRecord {
  readonly generation: number;
  readonly version: number;
  readonly role: RunningRole;
  readonly createdAt: Date;
  readonly liveAt: Date | null;
  readonly retiredAt: Date | null;
}

/** Its generations, retired ones included. */
export async function readGenerationHistory(
  db: SqlReads,
  projection: string,
  last: number,
): Promise<GenerationRecord[]> {
  const { rows } = await db.query<{
    generation: number;
    version: number;
    role: RunningRole;
    created_at: Date;
    live_at: Date | null;
    retired_at: Date | null;
  }>(
    `SELECT generation, version, role, created_at, live_at, retired_at FROM vista_generations
      WHERE projection = $1 ORDER BY generation DESC LIMIT $2`,
    [projection, last],
  );
  return rows.map((r) => ({
    generation: r.generation,
    version: r.version,
    role: r.role,
    createdAt: r.created_at,
    liveAt: r.live_at,
    retiredAt: r.retired_at,
  }));
}
