import { inTransaction, type Pool, type PoolClient } from '../../../shared/clients/postgres.ts';

import type { StartPosition } from '../definition/start-position.ts';
import { forgetNotKept } from '../poison/dead-letters.ts';

/** Where each source of a new generation starts: the first sequence it reads, and how it was asked for. */
export type ResolvedStarts = Record<string, { readonly sequence: number; readonly described: string }>;

/**
 * Resolves the start of each source for a generation being created, from the definition's
 * starts or the ones an operator gave with the rebuild (`override`, by stream).
 */
export type StartResolver = (
  override: Readonly<Record<string, StartPosition>> | null,
) => Promise<ResolvedStarts>;

/**
 * A generation is one build of a projection into its own storage (`<view>__g<N>`). One is
 * live (the public name points at it); at most one more is building from sequence 1 beside it
 * (a rebuild, or a new version) until it reaches the live one and takes over.
 */
export interface Generation {
  readonly generation: number;
  readonly version: number;
  readonly role: RunningRole;
  /** How many partitions it is built with (its version's count). */
  readonly partitions: number;
}

/**
 * A generation's role: `live` serves the public name, `building` is written beside it (a
 * rebuild, a new version) until it takes over, `retired` was replaced and waits to be dropped.
 */
export type GenerationRole = 'live' | 'building' | 'retired';

/** The role of a generation that runs: live or building. */
export type RunningRole = Exclude<GenerationRole, 'retired'>;

export interface Generations {
  readonly live: Generation | undefined;
  readonly building: Generation | undefined;
}

export async function readGenerations(pool: Pool | PoolClient, projection: string): Promise<Generations> {
  const { rows } = await pool.query<Generation>(
    `SELECT generation, version, role, partitions FROM vista_generations
      WHERE projection = $1 AND role IN ('live', 'building')`,
    [projection],
  );
  return { live: rows.find((r) => r.role === 'live'), building: rows.find((r) => r.role === 'building') };
}

/**
 * Makes the projection's generations match the code: a first generation (live at once: there
 * is nothing older to serve) for a new projection, and a building one when the live
 * generation's version is not the code's or an operator asked for a rebuild.
 */
export function reconcileGenerations(
  pool: Pool,
  projection: { name: string; version: number; partitions?: number },
  resolveStarts: StartResolver,
  /** Whether this caller takes operator rebuild requests (one owner per projection does). */
  { takesRebuilds = true }: { takesRebuilds?: boolean } = {},
): Promise<Generations> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vista:generations:${projection.name}`]);
    await tx.query(
      `INSERT INTO vista_projections (name, version, generation, status) VALUES ($1, $2, 0, 'starting')
       ON CONFLICT (name) DO NOTHING`,
      [projection.name, projection.version],
    );
    const current = await readGenerations(tx, projection.name);
    const { rows } = await tx.query<{
      rebuild_requested: boolean;
      rebuild_start: Record<string, StartPosition> | null;
    }>('SELECT rebuild_requested, rebuild_start FROM vista_projections WHERE name = $1 FOR UPDATE', [
      projection.name,
    ]);
    const rebuildRequested = takesRebuilds && (rows[0]?.rebuild_requested ?? false);
    const override = rebuildRequested ? (rows[0]?.rebuild_start ?? null) : null;
    if (rebuildRequested) {
      await tx.query(
        'UPDATE vista_projections SET rebuild_requested = false, rebuild_start = NULL WHERE name = $1',
        [projection.name],
      );
    }
    const next = await nextGeneration(tx, projection.name);
    if (!current.live) {
      await createGeneration(tx, projection, next, 'live', await resolveStarts(null));
      await tx.query('UPDATE vista_projections SET generation = $2, version = $3 WHERE name = $1', [
        projection.name,
        next,
        projection.version,
      ]);
    } else if (!current.building && (current.live.version !== projection.version || rebuildRequested)) {
      await createGeneration(tx, projection, next, 'building', await resolveStarts(override));
    }
    return readGenerations(tx, projection.name);
  });
}

async function nextGeneration(tx: PoolClient, projection: string): Promise<number> {
  const { rows } = await tx.query<{ next: number }>(
    'SELECT coalesce(max(generation), 0) + 1 AS next FROM vista_generations WHERE projection = $1',
    [projection],
  );
  return rows[0]?.next ?? 1;
}

async function createGeneration(
  tx: PoolClient,
  projection: { name: string; version: number; partitions?: number },
  generation: number,
  role: RunningRole,
  starts: ResolvedStarts,
): Promise<void> {
  const partitions = projection.partitions ?? 1;
  await tx.query(
    `INSERT INTO vista_generations (projection, generation, version, role, live_at, partitions)
     VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'live' THEN now() END, $5)`,
    [projection.name, generation, projection.version, role, partitions],
  );
  // Checkpoint rows exist from the start, so the first batch's compare-and-set has rows to lock.
  // A source that starts later is positioned just before its start: lag counts from there, and
  // read-your-writes treats everything before it as reached. Every partition has its rows, so
  // the projection's position (the least over them) never skips one that has not started.
  const streams = Object.keys(starts);
  await tx.query(
    `INSERT INTO vista_checkpoints (projection, generation, partition, stream, position, start_sequence, start_position)
     SELECT $1, $2, p.partition, s.stream, s.start - 1, s.start, s.described
       FROM unnest($3::text[], $4::bigint[], $5::text[]) AS s(stream, start, described)
      CROSS JOIN generate_series(0, $6 - 1) AS p(partition)
     ON CONFLICT DO NOTHING`,
    [
      projection.name,
      generation,
      streams,
      streams.map((s) => starts[s]?.sequence ?? 1),
      streams.map((s) => starts[s]?.described ?? 'beginning'),
      partitions,
    ],
  );
}

/**
 * Asks the projection's owner for a rebuild, optionally with other start positions than the
 * definition's (by stream); returns false when one is already building.
 */
export async function requestRebuild(
  pool: Pool,
  projection: string,
  start: Readonly<Record<string, StartPosition>> | null = null,
): Promise<boolean> {
  const { building } = await readGenerations(pool, projection);
  if (building) return false;
  const { rowCount } = await pool.query(
    'UPDATE vista_projections SET rebuild_requested = true, rebuild_start = $2 WHERE name = $1',
    [projection, start === null ? null : JSON.stringify(start)],
  );
  if (!rowCount) throw new Error(`no projection named ${projection} has run yet`);
  return true;
}

/** True (once) when an operator asked for a rebuild; the owner then reconciles. */
export async function rebuildRequested(pool: Pool, projection: string): Promise<boolean> {
  const { rows } = await pool.query<{ rebuild_requested: boolean }>(
    'SELECT rebuild_requested FROM vista_projections WHERE name = $1',
    [projection],
  );
  return rows[0]?.rebuild_requested ?? false;
}

/**
 * Puts a building generation back at sequence 1, without its dead letters (its storage was
 * dropped and is created again by its owner): it replays the history with today's code.
 */
export async function restartGeneration(pool: Pool, projection: string, generation: number): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query(
      `UPDATE vista_checkpoints SET position = 0, updated_at = now() WHERE projection = $1 AND generation = $2`,
      [projection, generation],
    );
    await tx.query(
      `DELETE FROM vista_dead_letters WHERE projection = $1 AND generation = $2
          AND resolution IS DISTINCT FROM 'skipped'`,
      [projection, generation],
    );
    await forgetNotKept(tx, projection, generation);
  });
}

/**
 * Retired generations whose storage is still to drop, retired at least `graceMs` ago. Their
 * checkpoints are the mark: they are forgotten only after the storage is gone.
 */
export async function generationsToDrop(pool: Pool, projection: string, graceMs: number): Promise<number[]> {
  const { rows } = await pool.query<{ generation: number }>(
    `SELECT g.generation FROM vista_generations g
      WHERE g.projection = $1 AND g.role = 'retired'
        AND g.retired_at <= now() - make_interval(secs => $2::double precision / 1000)
        AND EXISTS (SELECT 1 FROM vista_checkpoints c
                     WHERE c.projection = g.projection AND c.generation = g.generation)
      ORDER BY g.generation`,
    [projection, graceMs],
  );
  return rows.map((r) => r.generation);
}

/** Forgets a retired generation's checkpoints and dead letters once its storage is gone. */
export async function forgetGeneration(pool: Pool, projection: string, generation: number): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query('DELETE FROM vista_checkpoints WHERE projection = $1 AND generation = $2', [
      projection,
      generation,
    ]);
    await tx.query('DELETE FROM vista_partitions WHERE projection = $1 AND generation = $2', [
      projection,
      generation,
    ]);
    // Letters an operator skipped stay: they record a decision later generations honour.
    await tx.query(
      `DELETE FROM vista_dead_letters WHERE projection = $1 AND generation = $2
          AND resolution IS DISTINCT FROM 'skipped'`,
      [projection, generation],
    );
    await forgetNotKept(tx, projection, generation);
  });
}

/** Every source from sequence 1: the default, and what tests that create generations directly use. */
export function fromBeginning(streams: readonly string[]): StartResolver {
  return async () => Object.fromEntries(streams.map((s) => [s, { sequence: 1, described: 'beginning' }]));
}
