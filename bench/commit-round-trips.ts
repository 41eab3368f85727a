/**
 * The unit of work alone: commits of one batch of `orders`-shaped rows (upsert + checkpoint +
 * fence), pipelined (one round trip) and one statement at a time, alternated, so the two are
 * compared side by side on the same machine and load. Prints median wall ms, Node CPU ms and
 * the PostgreSQL backend's CPU ms per commit (the backend's own, so it holds under load; small
 * `rows` show what a commit at the live tail costs the server). Usage:
 * npx tsx bench/commit-round-trips.ts [rows=2000] [commits=30]
 */
import shopApp from '../examples/shop/index.ts';
import { commitUnitOfWork, isolatedInstallation, type Statements } from '../projectors/engine/internal.ts';
import { createPool } from '../shared/clients/postgres.ts';
import { cpuSeconds, loadAverage } from './support/cpu.ts';
import { spread } from './support/stats.ts';

const rows = Number(process.argv[2] ?? 2000);
// The backend's CPU is counted in clock ticks (10 ms): only a mean over many commits says anything.
const mean = (list: readonly number[]) => list.reduce((sum, v) => sum + v, 0) / Math.max(1, list.length);
const commits = Number(process.argv[3] ?? 30);

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn' });
const pools = {
  pipelined: createPool(env.config.DATABASE_URL, { applicationName: 'bench-commit', pipeline: true, max: 1 }),
  'one at a time': createPool(env.config.DATABASE_URL, { applicationName: 'bench-commit', max: 1 }),
};
try {
  const { pool } = env.infrastructure;
  await pool.query(
    'CREATE TABLE bench_commit (id text PRIMARY KEY, customer_id text, total_cents bigint, status text, placed_at timestamptz)',
  );
  await pool.query('CREATE INDEX ON bench_commit (customer_id, id)');
  // A lease the commits are fenced with, as the engine's are.
  const fence = { projection: 'bench_commit', partition: 0, owner: 'bench', epoch: 1 };
  await pool.query(
    `INSERT INTO vista_leases (projection, partition, owner, epoch, expires_at) VALUES ($1, $2, $3, $4, now() + interval '1 hour')`,
    [fence.projection, fence.partition, fence.owner, fence.epoch],
  );
  const backends: Record<string, number> = {};
  for (const [name, p] of Object.entries(pools)) {
    const { rows: found } = await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    backends[name] = found[0]?.pid ?? 0;
  }
  const ids = Array.from({ length: rows }, (_, i) => `order-${i}`);
  const write = (n: number) => (statements: Statements) =>
    statements.add(
      `INSERT INTO bench_commit SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[])
       ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, total_cents = EXCLUDED.total_cents,
         status = EXCLUDED.status, placed_at = EXCLUDED.placed_at`,
      [
        ids,
        ids.map((_, i) => `customer-${i % 97}`),
        ids.map((_, i) => i * n),
        ids.map(() => 'PLACED'),
        ids.map(() => '2026-01-01T00:00:00.000Z'),
      ],
    );
  const times: Record<string, { wall: number[]; cpu: number[]; server: number[] }> = {};
  let position = 0;
  for (let n = 0; n < commits; n++) {
    for (const [name, p] of Object.entries(pools)) {
      const move = {
        expected: { ORDERS: position },
        next: { ORDERS: position + rows },
        deadLetters: [],
        resolvedDeadLetters: [],
      };
      const server = cpuSeconds(backends[name] ?? 0);
      const cpu = process.cpuUsage();
      const started = performance.now();
      await commitUnitOfWork(p, { projection: 'bench_commit', generation: 1, fence }, move, {
        statements: write(n),
      });
      const entry = times[name] ?? { wall: [], cpu: [], server: [] };
      times[name] = entry;
      entry.wall.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      entry.cpu.push((used.user + used.system) / 1000);
      entry.server.push((cpuSeconds(backends[name] ?? 0) - server) * 1000);
      position += rows;
    }
  }
  console.log(`${commits} commits of ${rows} rows each way, load ${loadAverage()}`);
  for (const [name, t] of Object.entries(times)) {
    const wall = spread(t.wall);
    console.log(
      `${name.padEnd(14)} wall ms median ${wall.median.toFixed(1)} (${wall.min.toFixed(1)}–${wall.max.toFixed(1)}), Node CPU ms median ${spread(t.cpu).median.toFixed(2)}, PostgreSQL backend CPU ms mean ${mean(t.server).toFixed(3)}`,
    );
  }
} finally {
  await Promise.all(Object.values(pools).map((p) => p.end()));
  await env.cleanup();
}
