import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceView } from '../../projectors/engine/internal.ts';
import { createPool, inTransaction } from '../../shared/clients/postgres.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

describe('replacing a public view', () => {
  let env: TestEnvironment;
  let role: string;

  beforeAll(async () => {
    env = await testEnvironment();
    role = `vista_reader_${env.config.VISTA_NAMESPACE}`;
    await env.infrastructure.pool.query(`CREATE ROLE ${role} NOLOGIN`);
  });

  afterAll(async () => {
    await env?.cleanup();
    // Roles are the cluster's: dropped once the test's database (and its grants) is gone.
    const { Client } = (await import('pg')).default;
    const admin = new Client({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  const replace = (select: string) =>
    inTransaction(env.infrastructure.pool, (tx) => replaceView(tx, 'probe_view', select));

  it('keeps the grants of a custom API role when the column list changes (drop and create)', async () => {
    const { pool } = env.infrastructure;
    await replace('SELECT 1 AS a');
    await pool.query(`GRANT SELECT ON probe_view TO ${role}`);
    await replace('SELECT 1 AS b, 2 AS c');
    const { rows } = await pool.query(`SELECT has_table_privilege($1, 'probe_view', 'SELECT') AS granted`, [
      role,
    ]);
    expect(rows[0]?.granted).toBe(true);
    expect((await pool.query('SELECT * FROM probe_view')).rows).toEqual([{ b: 1, c: 2 }]);
  });

  it('behind a long reader it gives up in bounded time, and readers arriving meanwhile are not stuck behind it', async () => {
    const { pool } = env.infrastructure;
    await replace('SELECT 1 AS b, 2 AS c');
    // Another party's session (the API's, say): the engine's own pool ends a session left idle
    // in a transaction, which is what this one must do for a while.
    const others = createPool(env.config.DATABASE_URL, { applicationName: 'vista-test-other' });
    const reader = await others.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT * FROM probe_view'); // holds its lock until the end of its transaction
      let gaveUpAt = Number.POSITIVE_INFINITY;
      const replacing = replace('SELECT 3 AS b, 4 AS c').then(
        () => 'replaced',
        (error: { code?: string }) => {
          gaveUpAt = Date.now();
          return error.code;
        },
      );
      // Another reader, arriving while the replacement waits, is answered before it gives up.
      await pool.query('SELECT * FROM probe_view');
      const answeredAt = Date.now();
      expect(await replacing).toBe('55P03');
      expect(answeredAt).toBeLessThan(gaveUpAt);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
      await others.end();
    }
    await replace('SELECT 3 AS b, 4 AS c');
    expect((await pool.query('SELECT * FROM probe_view')).rows).toEqual([{ b: 3, c: 4 }]);
  });
});
