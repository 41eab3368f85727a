import { ident, type PoolClient } from '../../../../shared/clients/postgres.ts';
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
