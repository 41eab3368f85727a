import { inTransaction, type Pool, type PoolClient } from '../../../shared/clients/postgres.ts';
import { CHECKPOINT_CHANNEL } from '../commit/checkpoint-store.ts';
import { hasReached, type Positions } from '../commit/positions.ts';
import type { Generation } from './generations.ts';

/**
 * The switch: points the projection's public name at the building generation, in one
 * transaction of the catalog. `within` switches what can join it (a PostgreSQL view, so
 * readers never see a partial or missing view), the generations swap roles and
 * `vista_projections` follows; a store that cannot join it (an Elasticsearch alias) finishes
 * the switch after this commits (`GenerationStorage.finishSwitch`). Returns false, changing
 * nothing, if the building generation is behind the live one.
 */
export function switchGeneration(
  pool: Pool,
  projection: string,
  from: Generation | undefined,
  to: Generation,
  within: (tx: PoolClient) => Promise<void>,
): Promise<boolean> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT 1 FROM vista_projections WHERE name = $1 FOR UPDATE', [projection]);
    // FOR UPDATE fences the still-running live writer: its next commit waits for the switch, so
    // the live positions compared here are the last it serves under the public name, and no
    // reader is ever told of a position the new generation does not hold. Every partition's
    // rows are locked, and a generation's position on a stream is its partitions' least.
    const positions = async (generation: number) => {
      await tx.query('SELECT 1 FROM vista_checkpoints WHERE projection = $1 AND generation = $2 FOR UPDATE', [
        projection,
        generation,
      ]);
      const { rows } = await tx.query<{ stream: string; position: number }>(
        'SELECT stream, position FROM vista_positions WHERE projection = $1 AND generation = $2',
        [projection, generation],
      );
      return Object.fromEntries(rows.map((r) => [r.stream, r.position])) as Positions;
    };
    if (from && !hasReached(await positions(to.generation), await positions(from.generation))) return false;
    await within(tx);
    await tx.query(
      `UPDATE vista_generations SET role = 'retired', retired_at = now() WHERE projection = $1 AND role = 'live'`,
      [projection],
    );
    await tx.query(
      `UPDATE vista_generations SET role = 'live', live_at = now() WHERE projection = $1 AND generation = $2`,
      [projection, to.generation],
    );
    await tx.query(
      'UPDATE vista_projections SET generation = $2, version = $3, updated_at = now() WHERE name = $1',
      [projection, to.generation, to.version],
    );
    // Readers waiting on positions re-read them at commit: the public name now serves `to`'s.
    await tx.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, projection]);
    return true;
  });
}
