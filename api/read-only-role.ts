import pg from 'pg';
import { ident } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';

/** The role the API connects as when no API_DATABASE_URL is given. */
export const API_ROLE = 'vista_api';

/**
 * Makes sure the role `vista_api` exists and may only read (SELECT on the schema's tables and
 * views, now and as the projectors create them), and returns DATABASE_URL with that user.
 * When the configured user may not manage roles, the API keeps the configured URL and relies
 * on read-only sessions alone, and says so.
 */
export async function readOnlyDatabaseUrl(databaseUrl: string, log: Logger): Promise<string> {
  const admin = new pg.Client({ connectionString: databaseUrl });
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
      if (exists.rowCount === 0) await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT CONNECT ON DATABASE ${ident(admin.database ?? '')} TO ${role}`);
      await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      // Tables and views the projectors (this owner) create later are readable too.
      await admin.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(rows[0].owner)} IN SCHEMA public GRANT SELECT ON TABLES TO ${role}`,
      );
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
