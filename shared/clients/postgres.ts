import { createHash } from 'node:crypto';
import pg from 'pg';
import { splitSchema } from './database-url.ts';

/**
 * int8 and numeric columns arrive as JS numbers: every value Vista stores (cents, counts,
 * sequences) is far below 2^53, and strings would leak into every caller.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  },
};

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

const preparedNames = new Map<string, string>();

/**
 * `text` as a named prepared statement: each connection has the server parse and plan it
 * once, and later runs send only its name and values. Planning is most of what a small
 * statement costs PostgreSQL: the API's read of the live checkpoints took 0.67-0.73 ms
 * unnamed against 0.08 ms prepared, the checkpoint's move 0.41-0.54 against 0.29-0.31 ms
 * (pgbench, one client). Only for texts drawn from a bounded set (one per table, say): each
 * text stays prepared for the connection's life, so a text with values spelled into it would
 * pile up on the server. The name is a digest of the text, the same in every process.
 */
export function prepared(text: string, values?: readonly unknown[]): pg.QueryConfig {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `vista_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return { name, text, values: values as unknown[] | undefined };
}

/** Session settings every connection of Vista's starts with: the installation's schema first. */
function sessionOptions(schema: string | undefined, more: readonly string[] = []): string | undefined {
  const settings = [schema ? `-c search_path=${schema}` : '', ...more].filter(Boolean);
  return settings.length > 0 ? settings.join(' ') : undefined;
}

export function createPool(
  url: string,
  options: {
    max?: number;
    applicationName: string;
    statementTimeoutMs?: number;
    /**
     * The server ends a session left idle inside a transaction this long, releasing its locks:
     * a writer frozen mid-commit (SIGSTOP, a long pause) must not hold rows its successor needs.
     */
    idleInTransactionTimeoutMs?: number;
    readOnly?: boolean;
    /**
     * Plans without parallel workers: each statement runs on one backend, one core. For readers
     * serving many clients, where one statement must not take every core of the machine.
     */
    serialPlans?: boolean;
    /**
     * Clients send a query without waiting for the answers to those before it (node-postgres's
     * pipeline mode), so a transaction's statements can travel as one round trip.
     */
    pipeline?: boolean;
  },
): pg.Pool {
  const { connectionString, schema } = splitSchema(url);
  const session = sessionOptions(schema, [
    options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : '',
    options.idleInTransactionTimeoutMs
      ? `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`
      : '',
    // Defence in depth for readers: every transaction of the session is read-only.
    options.readOnly ? '-c default_transaction_read_only=on' : '',
    options.serialPlans ? '-c max_parallel_workers_per_gather=0' : '',
  ]);
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    types,
    ...(options.pipeline ? { pipeline: true } : {}),
    ...(session ? { options: session } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** A client outside any pool, for session state such as advisory locks and LISTEN. */
export function createDedicatedClient(
  url: string,
  applicationName: string,
  options: { keepAliveInitialDelayMs?: number; queryTimeoutMs?: number } = {},
): pg.Client {
  const { connectionString, schema } = splitSchema(url);
  const session = sessionOptions(schema);
  return new pg.Client({
    connectionString,
    application_name: applicationName,
    ...(session ? { options: session } : {}),
    keepAlive: true,
    ...(options.keepAliveInitialDelayMs === undefined
      ? {}
      : { keepAliveInitialDelayMillis: options.keepAliveInitialDelayMs }),
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
    types,
  });
}

/** Connects once and disconnects: whether the server at `connectionString` takes this login. */
export async function probe(url: string): Promise<void> {
  const client = new pg.Client({
    connectionString: splitSchema(url).connectionString,
    application_name: 'vista-probe',
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The SQL for a `jsonb[]` made of parameter `$n`, sent as the text of one JSON array (see
 * `jsonbRuns`) rather than as an array literal of JSON texts: node-postgres builds such a
 * literal by escaping every `"` of every element into a copy and concatenating the copies,
 * which was most of what it allocated for a batch of documents (bench/README.md). The
 * elements keep their order.
 */
export const jsonbArrayOf = (n: number): string =>
  `ARRAY(SELECT e FROM jsonb_array_elements($${n}::jsonb) WITH ORDINALITY AS x(e, i) ORDER BY i)`;

/** A character an array literal's element must escape: a backslash or a double quote. */
const NEEDS_ESCAPE = /[\\"]/;

/**
 * The text of a PostgreSQL array literal of scalar values (strings, numbers, booleans; null and
 * undefined are NULL), for a `$n::type[]` parameter; anything else (a Date, a Buffer, a nested
 * array, an object) is left to node-postgres, which gets the array itself. node-postgres quotes
 * every element through two regular-expression replaces, numbers included: for a batch's
 * columns, 4-5% of the engine's main thread for `orders` (bench/README.md). Here a number goes
 * unquoted and a string is copied by a replace only when it holds a `\` or a `"`.
 */
export function arrayLiteral(values: readonly unknown[]): string | readonly unknown[] {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) text += ',';
    if (value === null || value === undefined) text += 'NULL';
    else if (typeof value === 'string')
      text += NEEDS_ESCAPE.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
    else if (typeof value === 'number' || typeof value === 'bigint') text += String(value);
    else if (typeof value === 'boolean') text += value ? 'true' : 'false';
    else return values;
  }
  return `${text}}`;
}

/**
 * The most JSON text one `jsonbArrayOf` parameter carries. PostgreSQL refuses a jsonb value
 * over 256 MB (SQLSTATE 54000, not the batch's data: it would be retried for ever), and a
 * small number takes up to 8 times its text's size there; V8 refuses strings over 512 MB.
 */
const JSONB_RUN_CHARS = 16 * 1024 * 1024;

/** One run of rows, `[start, end)`, and each jsonb column's values in it as one JSON array. */
export interface JsonbRun {
  readonly start: number;
  readonly end: number;
  readonly arrays: readonly string[];
}

/**
 * `rows` rows cut into runs whose JSON arrays, one per jsonb column (`columns[c](row)` is a
 * row's value), each stay within JSONB_RUN_CHARS: one run for any ordinary batch, more only
 * for documents of megabytes. A single row larger than that is a run of its own.
 */
export function jsonbRuns(rows: number, columns: readonly ((row: number) => unknown)[]): JsonbRun[] {
  const texts = columns.map((value) =>
    Array.from({ length: rows }, (_, row) => JSON.stringify(value(row) ?? null)),
  );
  const runs: JsonbRun[] = [];
  const run = (start: number, end: number) =>
    runs.push({ start, end, arrays: texts.map((column) => `[${column.slice(start, end).join(',')}]`) });
  let start = 0;
  const sizes = columns.map(() => 0);
  for (let row = 0; row < rows; row++) {
    const full = texts.some(
      (column, c) => (sizes[c] as number) + (column[row] as string).length + 1 > JSONB_RUN_CHARS,
    );
    if (full && row > start) {
      run(start, row);
      start = row;
      sizes.fill(0);
    }
    texts.forEach((column, c) => {
      sizes[c] = (sizes[c] as number) + (column[row] as string).length + 1;
    });
  }
  run(start, rows);
  return runs;
}

/** Quotes an SQL identifier; the one way generated table and view names reach SQL. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs `work` on a connection to the server's `postgres` database, for creating or dropping one. */
async function withServer<T>(
  connectionString: string,
  work: (admin: pg.Client, database: string) => Promise<T>,
): Promise<T> {
  const url = new URL(splitSchema(connectionString).connectionString);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    return await work(admin, database);
  } finally {
    await admin.end();
  }
}

/**
 * Creates the database named in the URL when it does not exist yet (fresh machines, tests), and
 * the installation's schema in it.
 */
export async function ensureDatabase(url: string): Promise<void> {
  await withServer(url, async (admin, database) => {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount !== 0) return;
    await admin.query(`CREATE DATABASE ${ident(database)}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // created concurrently by another process
    });
  });
  const { connectionString, schema } = splitSchema(url);
  if (!schema || schema === 'public') return;
  const client = new pg.Client({ connectionString, application_name: 'vista-setup' });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`).catch((error: { code?: string }) => {
      if (error.code !== '42P06' && error.code !== '23505') throw error; // created concurrently
    });
  } finally {
    await client.end();
  }
}

/** Drops a database (tests clean up their own). */
export function dropDatabase(connectionString: string): Promise<void> {
  return withServer(connectionString, async (admin, database) => {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
  });
}

/**
 * Runs `work` on a pooled client, and hands the client back: destroyed when the server ended
 * its session meanwhile, so the next caller never gets it.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // The server may end the session between two statements (idle in transaction too long, a
  // restart): the next statement fails, which is handled; the event itself must not be unhandled.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** Runs `work` in one transaction on a pooled client. */
export function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (tx) => {
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
