import { ident, inTransaction, type Pool, type PoolClient } from '../../../../shared/clients/postgres.ts';
import { LookupStore } from '../../commit/lookup-store.ts';
import type { ColumnType, PostgresTableTarget } from '../../definition/define.ts';
import type { GenerationRole } from '../../generations/generations.ts';
import type { Stored } from '../../pipeline/fold.ts';
import type { DocumentSink } from '../../pipeline/sink.ts';
import { backoffMs } from '../../support/retry.ts';

/** How long a view replacement waits for readers' locks per attempt, and how often it tries. */
const VIEW_LOCK_TIMEOUT_MS = 250;
const VIEW_LOCK_ATTEMPTS = 20;

/**
 * Points a public view at a new SELECT inside `tx`: readers see the old view or the new one,
 * never none. Replacing takes an exclusive lock, and every reader arriving after the request
 * queues behind it: so it waits at most `VIEW_LOCK_TIMEOUT_MS` for a long reader to finish,
 * steps back (readers go on) and tries again, up to `VIEW_LOCK_ATTEMPTS` times, then fails
 * with SQLSTATE 55P03 (retried later). `CREATE OR REPLACE` keeps the view's identity and
 * grants; a changed column list (a new version) needs a drop and create, which the
 * transaction makes just as atomic, and the grants are given again.
 */
export async function replaceView(tx: PoolClient, name: string, select: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await tx.query('SAVEPOINT replace_view');
    try {
      await tx.query(`SET LOCAL lock_timeout = ${VIEW_LOCK_TIMEOUT_MS}`);
      await replaceViewOnce(tx, name, select);
      await tx.query('SET LOCAL lock_timeout TO DEFAULT');
      await tx.query('RELEASE SAVEPOINT replace_view');
      return;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT replace_view');
      await tx.query('RELEASE SAVEPOINT replace_view');
      if ((error as { code?: string }).code !== '55P03' || attempt >= VIEW_LOCK_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, 20, 500)));
    }
  }
}

async function replaceViewOnce(tx: PoolClient, name: string, select: string): Promise<void> {
  await tx.query('SAVEPOINT replace_view_in_place');
  try {
    await tx.query(`CREATE OR REPLACE VIEW ${ident(name)} AS ${select}`);
    await tx.query('RELEASE SAVEPOINT replace_view_in_place');
    return;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT replace_view_in_place');
    // 42P16: columns dropped or renamed; 42804: a column's type changed. Anything else (a lock
    // timeout, a bad SELECT) is not solved by dropping the view.
    const code = (error as { code?: string }).code;
    if (code !== '42P16' && code !== '42804') throw error;
  }
  const { rows: grants } = await tx.query<{ grantee: string; privileges: string }>(
    `SELECT coalesce(r.rolname, 'PUBLIC') AS grantee, string_agg(a.privilege_type, ', ') AS privileges
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = to_regclass($1) AND a.grantee <> c.relowner
      GROUP BY 1`,
    [ident(name)],
  );
  await tx.query(`DROP VIEW IF EXISTS ${ident(name)}`);
  await tx.query(`CREATE VIEW ${ident(name)} AS ${select}`);
  for (const { grantee, privileges } of grants) {
    const to = grantee === 'PUBLIC' ? 'PUBLIC' : ident(grantee);
    await tx.query(`GRANT ${privileges} ON ${ident(name)} TO ${to}`);
  }
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `<view>__g<N>`: the table one generation of a projection writes. */
export function generationTable(name: string, generation: number): string {
  return `${name}__g${generation}`;
}

type Row = Record<string, unknown>;

/**
 * Keeps a document projection's documents as rows of a PostgreSQL table: a batch is loaded
 * with one query and written with one upsert, inside the engine's unit of work (the
 * transaction that moves its checkpoint).
 */
export class PostgresDocumentSink<Doc extends object, L> implements DocumentSink<Doc, L> {
  private readonly keys: (keyof Doc & string)[];
  private readonly columns: string[];
  private readonly types: ColumnType[];
  private readonly upsertSql: string;
  private readonly table: string;
  readonly lookups: LookupStore<L>;
  readonly keepsPositions = false;

  constructor(
    private readonly pool: Pool,
    private readonly name: string,
    generation: number,
    private readonly target: PostgresTableTarget<Doc>,
  ) {
    this.table = generationTable(name, generation);
    this.lookups = new LookupStore(pool, this.table);
    this.keys = Object.keys(target.columns) as (keyof Doc & string)[];
    this.columns = this.keys.map(snakeCase);
    this.types = this.keys.map((key) => target.columns[key]);
    const all = ['id', ...this.columns].map(ident).join(', ');
    const arrays = ['$1::text[]', ...this.types.map((type, i) => `$${i + 2}::${type}[]`)].join(', ');
    const updates = this.columns.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ');
    this.upsertSql = `INSERT INTO ${ident(this.table)} (${all}) SELECT * FROM unnest(${arrays})
      ON CONFLICT (id) DO UPDATE SET ${updates}`;
  }

  /** Creates this generation's table, indexes and lookups; a live one also gets the public view. */
  async ensureStorage(role: GenerationRole): Promise<void> {
    const columns = this.columns.map((c, i) => `${ident(c)} ${this.types[i]}`).join(', ');
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${ident(this.table)} (id text PRIMARY KEY, ${columns})`,
      ...(this.target.indexes ?? []).map((keys) => {
        const cols = keys.map(snakeCase);
        const index = `${this.table}__${cols.join('_')}`.slice(0, 63);
        return `CREATE INDEX IF NOT EXISTS ${ident(index)} ON ${ident(this.table)} (${cols.map(ident).join(', ')}, id)`;
      }),
    ];
    await inTransaction(this.pool, async (tx) => {
      // Concurrent creators (two processes starting) would otherwise race on the catalog.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vista:storage:${this.table}`]);
      for (const sql of statements) await tx.query(sql);
      await this.lookups.ensureStorage(tx);
      if (role === 'live') await this.publish(tx);
    });
  }

  prepareSwitch(): Promise<void> {
    return Promise.resolve();
  }

  /** The view was replaced inside the switch's transaction: nothing outside it to point. */
  expose(): Promise<void> {
    return Promise.resolve();
  }

  publish(tx: PoolClient): Promise<void> {
    const where = this.target.visibleWhen ? ` WHERE ${this.target.visibleWhen}` : '';
    return replaceView(tx, this.name, `SELECT * FROM ${ident(this.table)}${where}`);
  }

  async drop(): Promise<void> {
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
      `SELECT * FROM ${ident(this.table)} WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id as string, { doc: this.fromRow(row), positions: {} }]));
  }

  /** Rows commit with the checkpoint: nothing is written before the transaction. */
  writeBefore(): Promise<void> {
    return Promise.resolve();
  }

  /** Upserts the changed documents and deletes those evolved to null. */
  async writeWithin(tx: PoolClient, docs: ReadonlyMap<string, Stored<Doc>>): Promise<void> {
    const upserts: [string, Doc][] = [];
    const deletes: string[] = [];
    for (const [id, { doc }] of docs) {
      if (doc === null) deletes.push(id);
      else upserts.push([id, doc]);
    }
    if (upserts.length > 0) {
      const params: unknown[][] = [upserts.map(([id]) => id)];
      this.keys.forEach((key, i) => {
        const jsonb = this.types[i] === 'jsonb';
        params.push(
          upserts.map(([, doc]) => (jsonb ? JSON.stringify(doc[key] ?? null) : (doc[key] ?? null))),
        );
      });
      await tx.query(this.upsertSql, params);
    }
    if (deletes.length > 0) {
      await tx.query(`DELETE FROM ${ident(this.table)} WHERE id = ANY($1::text[])`, [deletes]);
    }
  }

  private fromRow(row: Row): Doc {
    const doc: Row = {};
    this.keys.forEach((key, i) => {
      const value = row[this.columns[i] as string];
      doc[key] = value instanceof Date ? value.toISOString() : value;
    });
    return doc as Doc;
  }
}
