import {
  arrayLiteral,
  ident,
  inTransaction,
  jsonbArrayOf,
  jsonbRuns,
  type Pool,
  type PoolClient,
  prepared,
} from '../../../../shared/clients/postgres.ts';
import { LookupStore } from '../../commit/lookup-store.ts';
import type { Statements } from '../../commit/statements.ts';
import type { ColumnType } from '../../definition/fields/field-kind.ts';
import { snakeCase } from '../../definition/public-shape.ts';
import type { RunningRole } from '../../generations/generations.ts';
import type { DocumentStore } from '../../pipeline/document-store.ts';
import type { DocumentRefusal, Stored } from '../../pipeline/fold.ts';
import { generationName, lookupTable } from '../generation-names.ts';
import type { GenerationStorage } from '../store.ts';
import { tableRefusal } from './column-check.ts';
import { replaceView } from './replace-view.ts';

type Row = Record<string, unknown>;

/** A document table as one generation creates it: columns by document key, indexes, the view's condition. */
export interface TableSpec {
  readonly columns: Readonly<Record<string, ColumnType>>;
  /** Column lists (document keys) to index. */
  readonly indexes: readonly (readonly string[])[];
  readonly visibleWhen?: string;
}

/** A column's value as a document holds it: times as ISO-8601, days as `YYYY-MM-DD`. */
function fromColumn(type: ColumnType | undefined, value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  // pg reads a date as local midnight: its local parts are the day.
  if (type === 'date') {
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
  }
  return value.toISOString();
}

/**
 * One generation of a document projection as rows of a PostgreSQL table (`<view>__g<N>`),
 * served by a view named as the projection: a batch is loaded with one query and written with
 * one upsert (more only for documents of megabytes, see jsonbRuns), inside the engine's unit of work (the transaction that moves its checkpoint),
 * and the switch replaces the view inside the catalog's transaction.
 */
export class PostgresGeneration<Doc extends object, L> implements GenerationStorage, DocumentStore<Doc, L> {
  private readonly keys: (keyof Doc & string)[];
  private readonly columns: string[];
  private readonly types: ColumnType[];
  /** The keys of the jsonb columns, whose values go as one JSON array each (jsonbRuns). */
  private readonly jsonbKeys: (keyof Doc & string)[];
  private readonly upsertSql: string;
  /** What the columns would refuse of a document, or change on its way in (column-check.ts). */
  readonly refusal: DocumentRefusal<Doc>;
  /** The view's secondary indexes (`CREATE INDEX IF NOT EXISTS`): see `ensure` and `prepareSwitch`. */
  private readonly indexSql: string[];
  /**
   * `prepareSwitch` has run since this generation's storage was last ensured: a switch that
   * found the building generation still behind the live one is retried every supervision round,
   * and must not take the table's lock and analyze it again each time.
   */
  private readiedForSwitch = false;
  private readonly table: string;
  readonly lookups: LookupStore<L>;
  readonly keepsPositions = false;

  constructor(
    private readonly pool: Pool,
    private readonly name: string,
    generation: number,
    private readonly target: TableSpec,
    /** The partition this generation's writer runs (its lookup records are the partition's own). */
    partition = 0,
  ) {
    this.table = generationName(name, generation);
    this.lookups = new LookupStore(pool, lookupTable(name, generation, partition));
    this.keys = Object.keys(target.columns) as (keyof Doc & string)[];
    this.columns = this.keys.map(snakeCase);
    this.types = this.keys.map((key) => target.columns[key] as ColumnType);
    this.jsonbKeys = this.keys.filter((_, i) => this.types[i] === 'jsonb');
    this.refusal = tableRefusal(this.table, target.columns);
    const all = ['id', ...this.columns].map(ident).join(', ');
    const arrays = [
      '$1::text[]',
      ...this.types.map((type, i) => (type === 'jsonb' ? jsonbArrayOf(i + 2) : `$${i + 2}::${type}[]`)),
    ].join(', ');
    const updates = this.columns.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ');
    this.upsertSql = `INSERT INTO ${ident(this.table)} (${all}) SELECT * FROM unnest(${arrays})
      ON CONFLICT (id) DO UPDATE SET ${updates}`;
    this.indexSql = target.indexes.map((keys) => {
      const cols = keys.map(snakeCase);
      const index = `${this.table}__${cols.join('_')}`.slice(0, 63);
      return `CREATE INDEX IF NOT EXISTS ${ident(index)} ON ${ident(this.table)} (${cols.map(ident).join(', ')}, id)`;
    });
  }

  /**
   * Creates this generation's table and lookups; a live one also gets its secondary indexes and
   * the public view. A building generation is loaded without its secondary indexes, which only
   * the API's reads use: each row an upsert writes would otherwise go into every one of them,
   * most of it rewritten by later batches, while one sorted build at the switch
   * (`prepareSwitch`) writes each index once.
   */
  async ensure(role: RunningRole): Promise<void> {
    this.readiedForSwitch = false;
    const columns = this.columns.map((c, i) => `${ident(c)} ${this.types[i]}`).join(', ');
    await inTransaction(this.pool, async (tx) => {
      await this.lockStorage(tx);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${ident(this.table)} (id text PRIMARY KEY, ${columns})`);
      if (role === 'live') for (const sql of this.indexSql) await tx.query(sql);
      await this.lookups.ensureStorage(tx);
      if (role === 'live') await this.switchWithin(tx);
    });
  }

  /**
   * Builds the secondary indexes a building generation was loaded without, and gathers its
   * statistics (the API's first plans on it must see its size), before the switch's
   * transaction opens. Each build holds off the generation's commits (a SHARE lock) while it
   * sorts the table, seconds for millions of rows, and has no statement timeout: a large table
   * must not make the switch fail for ever. Idempotent, and run by every partition's owner.
   */
  async prepareSwitch(): Promise<void> {
    if (this.readiedForSwitch) return;
    await inTransaction(this.pool, async (tx) => {
      await tx.query('SET LOCAL statement_timeout = 0');
      await this.lockStorage(tx);
      for (const sql of this.indexSql) await tx.query(sql);
      await tx.query(`ANALYZE ${ident(this.table)}`);
    });
    this.readiedForSwitch = true;
  }

  /** Concurrent creators (two processes starting, partitions' owners) would otherwise race on the catalog. */
  private async lockStorage(tx: PoolClient): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vista:storage:${this.table}`]);
  }

  /** Points the public view at this generation's table, inside the switch's transaction. */
  switchWithin(tx: PoolClient): Promise<void> {
    const where = this.target.visibleWhen ? ` WHERE ${this.target.visibleWhen}` : '';
    return replaceView(tx, this.name, `SELECT * FROM ${ident(this.table)}${where}`);
  }

  async drop(): Promise<void> {
    this.readiedForSwitch = false;
    await this.pool.query(`DROP TABLE IF EXISTS ${ident(this.table)}`);
    await this.lookups.drop();
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${ident(this.table)} LIMIT 1`);
    return rows.length === 0 && (await this.lookups.isEmpty());
  }

  /**
   * Positions are not stored per row: rows and checkpoint commit in one transaction, so a
   * document never holds an event the checkpoint does not.
   */
  async load(ids: readonly string[]): Promise<Map<string, Stored<Doc>>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<Row>(
      prepared(`SELECT * FROM ${ident(this.table)} WHERE id = ANY($1::text[])`, [arrayLiteral(ids)]),
    );
    return new Map(rows.map((row) => [row.id as string, { doc: this.fromRow(row), positions: {} }]));
  }

  /** Upserts the changed documents (which passed `refusal`) and deletes those evolved to null. */
  writeWithin(statements: Statements, docs: ReadonlyMap<string, Stored<Doc>>): void {
    const upserts: [string, Doc][] = [];
    const deletes: string[] = [];
    for (const [id, { doc }] of docs) {
      if (doc === null) deletes.push(id);
      else upserts.push([id, doc]);
    }
    if (upserts.length > 0) {
      const runs = jsonbRuns(
        upserts.length,
        this.jsonbKeys.map((key) => (row: number) => (upserts[row] as [string, Doc])[1][key]),
      );
      for (const { start, end, arrays } of runs) {
        const rows = upserts.slice(start, end);
        const params: unknown[] = [arrayLiteral(rows.map(([id]) => id))];
        for (const key of this.keys) {
          const jsonb = this.jsonbKeys.indexOf(key);
          params.push(jsonb >= 0 ? arrays[jsonb] : arrayLiteral(rows.map(([, doc]) => doc[key] ?? null)));
        }
        statements.add(this.upsertSql, params);
      }
    }
    if (deletes.length > 0) {
      statements.add(`DELETE FROM ${ident(this.table)} WHERE id = ANY($1::text[])`, [deletes]);
    }
  }

  private fromRow(row: Row): Doc {
    const doc: Row = {};
    this.keys.forEach((key, i) => {
      const value = row[this.columns[i] as string];
      doc[key] = fromColumn(this.types[i], value);
    });
    return doc as Doc;
  }
}
