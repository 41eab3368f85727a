import { splitSchema } from '../shared/clients/database-url.ts';
import { createDedicatedClient, ident } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';

/** The role the API connects as when no API_DATABASE_URL is given. */
export const API_ROLE = 'vista_api';

/** Codes of a CREATE ROLE that lost a race with another process (roles are cluster-wide). */
const ALREADY_EXISTS = new Set(['42710', '23505']);

/**
 * Makes sure the role `vista_api` exists and may only read: LOGIN, SELECT on the schema's
 * tables and views (now and as the projectors create them), read-only transactions by default,
 * nothing else. Returns DATABASE_URL with that user. When the configured user may not manage
 * roles, the API keeps the configured URL and relies on read-only sessions alone, and says so
 * (set API_DATABASE_URL to a read-only user there).
 */
export async function readOnlyDatabaseUrl(databaseUrl: string, log: Logger): Promise<string> {
  const admin = createDedicatedClient(databaseUrl, 'vista-api-setup');
  const schema = ident(splitSchema(databaseUrl).schema ?? 'public');
  await admin.connect();
  try {
    const role = ident(API_ROLE);
    const { rows } = await admin.query<{ owner: string; can: boolean }>(
      `SELECT current_user AS owner, (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) AS can`,
    );
    if (!rows[0]?.can) {
      log.warn('cannot manage roles: the API uses the configured user with read-only sessions');
      return databaseUrl;
    }
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', ['vista:api-role']);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [API_ROLE]);
      if (exists.rowCount === 0) {
        await admin
          .query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`)
          .catch((error: { code?: string }) => {
            if (!ALREADY_EXISTS.has(error.code ?? '')) throw error;
          });
      }
      // Even a session that forgets to ask for it reads only. (Role settings are cluster-wide:
      // only written when missing, so API processes of other databases do not race on them.)
      const { rowCount: readOnly } = await admin.query(
        `SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
          WHERE r.rolname = $1 AND s.setdatabase = 0 AND 'default_transaction_read_only=on' = ANY (s.setconfig)`,
        [API_ROLE],
      );
      if (!readOnly) await admin.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
      await admin.query(`GRANT CONNECT ON DATABASE ${ident(admin.database ?? '')} TO ${role}`);
      // The installation's own schema (its namespace's), created before the API starts.
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
        if (error.code !== '42P06' && error.code !== '23505') throw error;
      });
      await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
      // Tables and views the projectors (this owner) create later are readable too. Said
      // before the grant on what exists, so a view a projector creates in between is covered
      // by one or the other (the other order left it unreadable: "permission denied").
      await admin.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(rows[0].owner)} IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${role}`,
      );
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', ['vista:api-role']);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.username = API_ROLE;
  url.password = '';
  return url.toString();
}

/** Fails start-up with a clear message when the API's database user cannot log in. */
export async function checkLogin(databaseUrl: string): Promise<void> {
  const client = createDedicatedClient(databaseUrl, 'vista-api-setup');
  try {
    await client.connect();
  } catch (error) {
    const user = new URL(databaseUrl).username;
    throw new Error(
      `the API cannot connect as ${user} (${(error as Error).message}); set API_DATABASE_URL to a read-only user`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
