import type { Pool } from '../../../shared/clients/postgres.ts';
import { partitionsOf } from '../definition/partitions.ts';
import type { Generation, Generations } from './generations.ts';

/**
 * A generation's partition count is part of what its rows and checkpoints mean (which
 * partition holds which key): code of the same version declaring another count would split
 * the keys otherwise and mix two layouts in one generation. A changed count is a new version.
 */
export class PartitionCountError extends Error {
  readonly code = 'PARTITION_COUNT_CONFLICT';
}

function conflict(
  projection: { readonly name: string; readonly version: number; readonly partitions?: number },
  generation: Pick<Generation, 'generation' | 'version' | 'partitions'>,
): string | undefined {
  const declared = partitionsOf(projection);
  if (generation.version !== projection.version || generation.partitions === declared) return undefined;
  return (
    `projection ${projection.name} version ${projection.version}: generation ${generation.generation} is built ` +
    `with ${generation.partitions} partition(s), this process declares ${declared}; a changed partition count ` +
    'needs a new version (a new generation), and every process of one version must declare the same count'
  );
}

/** Throws `PartitionCountError` when a current generation of the code's version has another count. */
export function assertPartitionCount(
  projection: { readonly name: string; readonly version: number; readonly partitions?: number },
  generations: Generations,
): void {
  for (const generation of [generations.live, generations.building]) {
    const problem = generation && conflict(projection, generation);
    if (problem) throw new PartitionCountError(problem);
  }
}

/**
 * At start-up: the projections whose current generations of the same version were built with
 * another partition count than this process declares, as messages (the process then exits 78).
 */
export async function partitionCountConflicts(
  pool: Pool,
  projections: readonly { readonly name: string; readonly version: number; readonly partitions?: number }[],
): Promise<string[]> {
  const { rows } = await pool.query<Generation & { projection: string }>(
    `SELECT projection, generation, version, role, partitions FROM vista_generations
      WHERE role IN ('live', 'building') AND projection = ANY($1::text[])`,
    [projections.map((p) => p.name)],
  );
  return rows.flatMap((row) => {
    const projection = projections.find((p) => p.name === row.projection);
    const problem = projection && conflict(projection, row);
    return problem ? [problem] : [];
  });
}

/**
 * Whether every partition of `generation` reports `running` (caught up): a partitioned
 * generation switches only once all of them have, whichever processes own them.
 */
export async function partitionsRunning(
  pool: Pool,
  projection: string,
  generation: Generation,
): Promise<boolean> {
  if (generation.partitions <= 1) return true;
  const { rows } = await pool.query<{ running: number }>(
    `SELECT count(*)::int AS running FROM vista_partitions
      WHERE projection = $1 AND generation = $2 AND status = 'running'`,
    [projection, generation.generation],
  );
  return (rows[0]?.running ?? 0) >= generation.partitions;
}
