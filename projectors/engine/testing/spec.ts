import { deepStrictEqual } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ident, type Pool } from '../../../shared/clients/postgres.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { DocumentProjection, SqlContext, SqlProjection } from '../definition/define.ts';
import { type DocumentRefusal, foldBatch, type Stored } from '../pipeline/fold.ts';
import { documentRefusalOf } from '../stores/registry.ts';

/** Compares what a spec got with what it expected; throws when they differ. */
export type Equal = (actual: unknown, expected: unknown) => void;

/**
 * Folds events batch by batch exactly as the engine does (documents and lookups carried from
 * one batch to the next) and returns the documents that exist at the end, by key. Events of a
 * type the projection does not handle are skipped, as the engine skips them before folding. A
 * handler that throws, or returns what its type forbids, or a document its store would refuse
 * (a number past its column's type, say) fails the fold: in the engine that event would be
 * dead-lettered.
 */
export function foldDocuments<Doc extends object, E extends AnyEvent, L>(
  projection: DocumentProjection<Doc, E, L>,
  batches: readonly (readonly AnyEvent[])[],
): Record<string, Doc> {
  // The engine's erased view of the projection; a spec feeds it the events it is given.
  const erased = projection as unknown as DocumentProjection<Doc, AnyEvent, L>;
  const docs = new Map<string, Stored<Doc>>();
  const lookups = new Map<string, L>();
  const handles = new Set<string>(projection.handles);
  const refusal = documentRefusalOf(erased as unknown as DocumentProjection) as DocumentRefusal<Doc>;
  for (const batch of batches) {
    const handled = batch.filter((event) => handles.has(event.type));
    const result = foldBatch(erased, handled, { docs, lookups }, refusal);
    if (result.failures.length > 0)
      throw new Error(`events failed to fold: ${result.failures.map((f) => f.error.message).join('; ')}`);
    for (const [key, stored] of result.docs) docs.set(key, stored);
    for (const [key, record] of result.lookups) {
      if (record === null) lookups.delete(key);
      else lookups.set(key, record);
    }
  }
  const documents: Record<string, Doc> = {};
  for (const [key, { doc }] of docs) if (doc !== null) documents[key] = doc;
  return documents;
}

/**
 * A projection spec: given events (folded exactly as the engine folds a batch), then the
 * documents by key. `thenDocuments` also folds one event per batch, so batch boundaries are
 * checked not to matter. `equal` defaults to node's deep strict equality; pass your test
 * framework's (`(a, e) => expect(a).toEqual(e)`) to use its matchers.
 *
 * @example
 * spec(orders).given(orderPlaced('o1', 'c1', lines), paymentCaptured('p1', 'o1', 500))
 *   .thenDocuments({ o1: { ...placed, status: 'PAID' } });
 */
export function spec<Doc extends object, E extends AnyEvent, L>(
  projection: DocumentProjection<Doc, E, L>,
  equal: Equal = deepStrictEqual,
) {
  return {
    given(...events: AnyEvent[]) {
      return {
        /** The documents after folding, for custom assertions. */
        documents: (): Record<string, Doc> => foldDocuments(projection, [events]),
        thenDocuments(expected: Record<string, unknown>): void {
          equal(foldDocuments(projection, [events]), expected);
          equal(
            foldDocuments(
              projection,
              events.map((e) => [e]),
            ),
            expected,
          );
        },
      };
    },
  };
}

/**
 * Runs a SQL projection's own statements on real PostgreSQL, batch by batch as the engine
 * would, in a scratch schema inside one transaction that is rolled back: nothing is left
 * behind, and the view's rows (sorted, for a stable comparison) are what it would serve.
 */
export async function applySqlProjection<E extends AnyEvent>(
  projection: SqlProjection<E>,
  pool: Pool,
  batches: readonly (readonly AnyEvent[])[],
): Promise<Record<string, unknown>[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const schema = `vista_spec_${randomBytes(6).toString('hex')}`;
    await client.query(`CREATE SCHEMA ${ident(schema)}`);
    await client.query(`SET LOCAL search_path TO ${ident(schema)}`);
    // Unqualified, as the engine names them (an index name cannot carry a schema): the
    // search path puts them in the scratch schema.
    const table = (name: string) => ident(name);
    for (const statement of projection.tables(table)) await client.query(statement);
    const sql: SqlContext = { query: async (text, params) => (await client.query(text, params)).rows, table };
    // The engine hands `apply` only the events its `handles` names.
    const handled = new Set<string>(projection.handles);
    for (const batch of batches)
      await projection.apply(batch.filter((e) => handled.has(e.type)) as unknown as E[], sql);
    const { rows } = await client.query<Record<string, unknown>>(projection.view(table));
    return rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/**
 * The given/then spec for a SQL projection: given events, then the rows of its view (in any
 * order). Like `spec`, it also applies one event per batch, so batch boundaries are checked
 * not to matter. Needs a PostgreSQL pool; it leaves nothing behind.
 *
 * @example
 * await sqlSpec(customerStats, pool).given(orderPlaced('o1', 'c1', lines)).thenRows([{ customer_id: 'c1', … }]);
 */
export function sqlSpec<E extends AnyEvent>(
  projection: SqlProjection<E>,
  pool: Pool,
  equal: Equal = deepStrictEqual,
) {
  const sorted = (rows: readonly Record<string, unknown>[]) =>
    [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return {
    given(...events: AnyEvent[]) {
      return {
        /** The view's rows after applying the events in one batch, for custom assertions. */
        rows: () => applySqlProjection(projection, pool, [events]),
        async thenRows(expected: readonly Record<string, unknown>[]): Promise<void> {
          equal(await applySqlProjection(projection, pool, [events]), sorted(expected));
          equal(
            await applySqlProjection(
              projection,
              pool,
              events.map((e) => [e]),
            ),
            sorted(expected),
          );
        },
      };
    },
  };
}
