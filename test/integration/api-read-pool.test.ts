import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadPool } from '../../api/read-pool.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

/** The plan's node types, depth first. */
const nodeTypes = (plan: { 'Node Type': string; Plans?: unknown[] }): string[] => [
  plan['Node Type'],
  ...((plan.Plans ?? []) as (typeof plan)[]).flatMap(nodeTypes),
];

describe("the API's read pool", () => {
  let env: TestEnvironment;
  let reads: ReturnType<typeof createReadPool>;
  // A filter no index serves, over a table large enough for PostgreSQL to plan parallel workers.
  const scan = `EXPLAIN (FORMAT JSON) SELECT count(*) FROM big WHERE ${Array.from({ length: 50 }, (_, i) => `n = ${-i}`).join(' OR ')}`;
  const plannedNodes = async (pool: { query: typeof reads.query }) => {
    const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: Parameters<typeof nodeTypes>[0] }] }>(scan);
    return nodeTypes(rows[0]?.['QUERY PLAN'][0].Plan as Parameters<typeof nodeTypes>[0]);
  };

  beforeAll(async () => {
    env = await testEnvironment();
    const { pool } = env.infrastructure;
    await pool.query(
      `CREATE TABLE big AS SELECT n, 'row ' || n AS label FROM generate_series(1, 300000) AS n`,
    );
    await pool.query('ANALYZE big');
    reads = createReadPool(env.config.DATABASE_URL, 5000);
  });

  afterAll(async () => {
    await reads?.end();
    await env?.cleanup();
  });

  it('scans without parallel workers, where a pool of default settings would take them', async () => {
    // The premise: this server gives such a scan parallel workers by default.
    expect(await plannedNodes(env.infrastructure.pool)).toContain('Gather');
    const nodes = await plannedNodes(reads);
    expect(nodes).toContain('Seq Scan');
    expect(nodes).not.toContain('Gather');
    const { rows } = await reads.query<{ count: number }>('SELECT count(*) FROM big WHERE n % 1000 = 0');
    expect(Number(rows[0]?.count)).toBe(300);
  });

  it('writes nothing', async () => {
    await expect(reads.query('DELETE FROM big')).rejects.toThrow(/read-only transaction/);
  });
});
