import { viewOf } from '../../definition/public-view.ts';
import type { Store } from '../store.ts';
import { tableRefusal } from './column-check.ts';
import { PostgresViewReader } from './reads.ts';
import { PostgresGeneration } from './table-generation.ts';
import { derivedIndexes, type PostgresTableTarget, tableColumns } from './target.ts';

/** PostgreSQL as a store plug-in: document tables behind views, read with keyset SQL. */
export const postgresStore: Store = {
  kind: 'postgres',
  generation(projection, generation, { pool }, fence) {
    const target = projection.target as PostgresTableTarget;
    // What the view lets readers filter and sort on is indexed, so no declared filter scans.
    const view = viewOf(projection);
    const declared = (target.indexes ?? []) as readonly (readonly string[])[];
    const indexes = [...declared, ...(view ? derivedIndexes(view, declared) : [])];
    const columns = tableColumns(target, projection.api);
    return new PostgresGeneration(
      pool,
      projection.name,
      generation,
      {
        columns,
        indexes,
        ...(target.visibleWhen ? { visibleWhen: target.visibleWhen } : {}),
      },
      fence?.partition,
    );
  },
  documentRefusal: (projection) =>
    tableRefusal(projection.name, tableColumns(projection.target as PostgresTableTarget, projection.api)),
  reader: (view, { pool }) => new PostgresViewReader(pool, view),
};
