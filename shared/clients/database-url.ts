/**
 * Where an installation keeps its tables: a PostgreSQL schema of its own per namespace, so two
 * installations on one database never see each other's checkpoints, leases, generations or
 * views (the default namespace, empty, keeps them in `public`). The schema travels inside the
 * database URL as a parameter of Vista's own, which the one place that opens connections
 * (`postgres.ts`) turns into the session's `search_path` and strips before pg sees the URL.
 */
const SCHEMA_PARAM = 'vista_schema';

/** Namespaces are lower-case letters, digits and _ (see config): valid schema names as they are. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema of a namespace: its own name, or `public` for the default (empty) one. */
export function schemaFor(namespace: string): string {
  return namespace || 'public';
}

/**
 * `url` with the schema set (replacing any set before). `public` sets nothing: the default
 * installation keeps the server's search path, as before namespaces had schemas.
 */
export function inSchema(url: string, schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a schema name: ${JSON.stringify(schema)}`);
  const parsed = new URL(url);
  if (schema === 'public') parsed.searchParams.delete(SCHEMA_PARAM);
  else parsed.searchParams.set(SCHEMA_PARAM, schema);
  return parsed.toString();
}

/** The URL pg may see, and the schema set in it (undefined: the server's default search path). */
export function splitSchema(url: string): {
  readonly connectionString: string;
  readonly schema: string | undefined;
} {
  if (!URL.canParse(url)) return { connectionString: url, schema: undefined };
  const parsed = new URL(url);
  const schema = parsed.searchParams.get(SCHEMA_PARAM) ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`${SCHEMA_PARAM} is not a schema name: ${JSON.stringify(schema)}`);
  }
  parsed.searchParams.delete(SCHEMA_PARAM);
  return { connectionString: parsed.toString(), schema };
}
