import type { Pool } from '../../../../shared/clients/postgres.ts';
import type { AnyEvent } from '../../../../shared/events/event-type.ts';
import { commitUnitOfWork } from '../../commit/unit-of-work.ts';
import type { SqlContext, SqlProjection } from '../../definition/define.ts';
import type { Fence } from '../../leases/fence.ts';
import type { BatchWriter } from '../../pipeline/writer.ts';
import { ViewCodeError } from '../../poison/classification.ts';
import { sqlTables } from './sql-storage.ts';

/**
 * Applies a SQL projection: its handler's statements run inside the engine's unit of work,
 * with the dead letters and the checkpoint move, so a batch is applied entirely or not at all.
 */
export function sqlWriter(
  pool: Pool,
  projection: SqlProjection,
  generation: number,
  fence: Fence | undefined,
): BatchWriter {
  const table = sqlTables(projection, generation);
  return {
    // Nothing is cached: the handler reads what it needs inside each commit's transaction.
    start: () => Promise.resolve(),
    async prepare(events: readonly AnyEvent[]) {
      return {
        failures: [],
        // Nothing is read ahead: the handler runs inside the commit's transaction.
        stale: false,
        commit: (move) =>
          commitUnitOfWork(pool, { projection: projection.name, generation, fence }, move, {
            interactive: async (tx) => {
              // What the statements threw is the store's to classify; anything else the view's code threw.
              const fromStore = new WeakSet<object>();
              const sql: SqlContext = {
                query: async (text, params) => {
                  try {
                    return (await tx.query(text, params)).rows;
                  } catch (error) {
                    if (typeof error === 'object' && error !== null) fromStore.add(error);
                    throw error;
                  }
                },
                table,
              };
              if (events.length === 0) return;
              try {
                await projection.apply(events, sql);
              } catch (error) {
                if (typeof error === 'object' && error !== null && fromStore.has(error)) throw error;
                throw new ViewCodeError(error instanceof Error ? error.message : String(error), {
                  cause: error,
                });
              }
            },
          }),
      };
    },
  };
}
