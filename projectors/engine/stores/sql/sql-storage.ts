import { ident, inTransaction, type Pool } from '../../../../shared/clients/postgres.ts';
import type { SqlProjection } from '../../definition/define.ts';
import { sqlProjectionTable } from '../generation-names.ts';
import { replaceView } from '../postgres/replace-view.ts';
import type { GenerationStorage } from '../store.ts';

/** The quoted name of one of a SQL projection's tables in one generation. */
export function sqlTables(projection: SqlProjection, generation: number): (name: string) => string {
  return (name) => ident(sqlProjectionTable(projection.name, generation, name));
}

/**
 * One generation of a SQL projection's storage: the tables its DDL creates
 * (`<view>__g<N>__<table>`), behind a view named as the projection that its SELECT defines;
 * the switch replaces that view inside the catalog's transaction.
 */
export function sqlProjectionStorage(
  pool: Pool,
  projection: SqlProjection,
  generation: number,
): GenerationStorage {
  const table = sqlTables(projection, generation);
  return {
    async ensure(role) {
      await inTransaction(pool, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `vista:storage:${projection.name}:${generation}`,
        ]);
        for (const statement of projection.tables(table)) await tx.query(statement);
        if (role === 'live') await replaceView(tx, projection.name, projection.view(table));
      });
    },
    switchWithin: (tx) => replaceView(tx, projection.name, projection.view(table)),
    async drop() {
      const prefix = sqlProjectionTable(projection.name, generation, '');
      const { rows } = await pool.query<{ tablename: string }>(
        'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)',
        [prefix],
      );
      for (const { tablename } of rows) await pool.query(`DROP TABLE IF EXISTS ${ident(tablename)}`);
    },
  };
}
