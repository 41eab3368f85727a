import { ident, inTransaction, type Pool } from '../../../../shared/clients/postgres.ts';
import type { AnyEvent } from '../../../../shared/events/event-type.ts';
import { commitUnitOfWork } from '../../commit/unit-of-work.ts';
import type { SqlContext, SqlProjection } from '../../definition/define.ts';
import type { Fence } from '../../leases/lease.ts';
import type { BatchWriter } from '../../pipeline/writer.ts';
import { ViewCodeError } from '../../poison/classification.ts';
import { replaceView } from '../postgres/table.ts';

/** `<view>__g<N>__<table>`: one of a SQL projection's tables in one generation. */
export function sqlProjectionTable(name: string, generation: number, table: string): string {
  return `${name}__g${generation}__${table}`;
}

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
  const table = (name: string) => ident(sqlProjectionTable(projection.name, generation, name));
  return {
    async ensureStorage(role) {
      await inTransaction(pool, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `vista:storage:${projection.name}:${generation}`,
        ]);
        for (const statement of projection.tables(table)) await tx.query(statement);
        if (role === 'live') await replaceView(tx, projection.name, projection.view(table));
      });
    },
    prepareSwitch: () => Promise.resolve(),
    publish: (tx) => replaceView(tx, projection.name, projection.view(table)),
    // The view was replaced inside the switch's transaction: nothing outside it to point.
    expose: () => Promise.resolve(),
    async drop() {
      const prefix = sqlProjectionTable(projection.name, generation, '');
      const { rows } = await pool.query<{ tablename: string }>(
        'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)',
        [prefix],
      );
      for (const { tablename } of rows) await pool.query(`DROP TABLE IF EXISTS ${ident(tablename)}`);
    },
    async prepare(events: readonly AnyEvent[]) {
      return {
        failures: [],
        // Nothing is read ahead: the handler runs inside the commit's transaction.
        stale: false,
        commit: (move) =>
          commitUnitOfWork(pool, { projection: projection.name, generation, fence }, move, async (tx) => {
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
          }),
      };
    },
  };
}
