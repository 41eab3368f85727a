import {
  arrayLiteral,
  ident,
  jsonbArrayOf,
  jsonbRuns,
  type Pool,
  type PoolClient,
  prepared,
} from '../../../shared/clients/postgres.ts';
import type { Statements } from './statements.ts';

/** What the engine does with a generation's lookup records: load them, write a batch's changes. */
export interface LookupRecords<L> {
  load(keys: readonly string[]): Promise<Map<string, L>>;
  /** Upserts records, deletes those that are null, inside the batch's transaction (queued with its statements). */
  write(statements: Statements, records: ReadonlyMap<string, L | null>): void;
}

/**
 * A document projection's lookup records, as `key → jsonb` rows in PostgreSQL (whatever the
 * projection's own target), in a table per generation so a rebuild starts from nothing.
 */
export class LookupStore<L> implements LookupRecords<L> {
  constructor(
    private readonly pool: Pool,
    /**
     * Its table, one per generation and partition (`stores/generation-names.ts`): partition
     * k > 0 keeps `<table of partition 0>_p<k>`.
     */
    readonly table: string,
  ) {}

  async ensureStorage(tx: PoolClient): Promise<void> {
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${ident(this.table)} (key text PRIMARY KEY, record jsonb NOT NULL)`,
    );
  }

  /** Drops the table and, from partition 0's, every other partition's. */
  async drop(): Promise<void> {
    const first = this.table;
    const { rows } = await this.pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
          AND (tablename = $1 OR starts_with(tablename, $1 || '_p'))`,
      [first],
    );
    for (const { tablename } of rows) await this.pool.query(`DROP TABLE IF EXISTS ${ident(tablename)}`);
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${ident(this.table)} LIMIT 1`);
    return rows.length === 0;
  }

  async load(keys: readonly string[]): Promise<Map<string, L>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.pool.query<{ key: string; record: L }>(
      prepared(`SELECT key, record FROM ${ident(this.table)} WHERE key = ANY($1::text[])`, [
        arrayLiteral(keys),
      ]),
    );
    return new Map(rows.map((row) => [row.key, row.record]));
  }

  write(statements: Statements, records: ReadonlyMap<string, L | null>): void {
    const upserts = [...records].filter((entry): entry is [string, L] => entry[1] !== null);
    const deletes = [...records].filter(([, record]) => record === null).map(([key]) => key);
    const runs =
      upserts.length > 0 ? jsonbRuns(upserts.length, [(row) => (upserts[row] as [string, L])[1]]) : [];
    for (const { start, end, arrays } of runs) {
      statements.add(
        `INSERT INTO ${ident(this.table)} (key, record) SELECT * FROM unnest($1::text[], ${jsonbArrayOf(2)})
         ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record`,
        [arrayLiteral(upserts.slice(start, end).map(([key]) => key)), arrays[0]],
      );
    }
    if (deletes.length > 0) {
      statements.add(`DELETE FROM ${ident(this.table)} WHERE key = ANY($1::text[])`, [deletes]);
    }
  }
}
