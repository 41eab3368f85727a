import type { Plugin } from 'graphql-yoga';
import type { Pool } from '../shared/clients/postgres.ts';
import type { ApiContext } from './context.ts';

/** Per projection, per stream: the sequence the served generation has absorbed. */
export type Positions = Record<string, Record<string, number>>;

/** Reads the checkpoints of the generations the public names currently point at. */
export async function readPositions(pool: Pool, projections: readonly string[]): Promise<Positions> {
  const positions: Positions = {};
  if (projections.length === 0) return positions;
  const { rows } = await pool.query<{ projection: string; stream: string; position: number }>(
    `SELECT c.projection, c.stream, c.position
       FROM vista_checkpoints c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation
      WHERE c.projection = ANY($1::text[])`,
    [projections],
  );
  for (const name of projections) positions[name] = {};
  for (const row of rows) (positions[row.projection] as Record<string, number>)[row.stream] = row.position;
  return positions;
}

/**
 * Adds `extensions.positions` to every response: the checkpoints of the projections its
 * resolvers read, so a client knows how fresh the answer is. Read after the resolvers ran,
 * so a position is never ahead of the data it describes.
 */
export function positionsPlugin(): Plugin<ApiContext> {
  return {
    onExecute() {
      return {
        async onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const ctx = args.contextValue as ApiContext;
          const positions = await readPositions(ctx.pool, [...ctx.projectionsRead]).catch(() => undefined);
          setResult({ ...result, extensions: { ...result.extensions, positions: positions ?? {} } });
        },
      };
    },
  };
}
