/**
 * The API beside a peer on the same PostgreSQL view: PostGraphile 4 (run with npx, so its
 * graphql 15 never meets ours) and Vista's API both serve `orders` newest first, 20 per page.
 * autocannon at fixed request rates (coordinated-omission corrected by its rate mode) gives
 * p50/p99 per rate, and the highest rate whose p99 stays within 25 ms.
 * Usage: npx tsx bench/api-vs-postgraphile.ts [events=100000]
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { demoHistory } from '../projectors/demo/history.ts';
import { publishMany } from '../projectors/demo/publish-many.ts';
import { eventually, testEnvironment } from '../test/support/environment.ts';
import { waitForLiveViews } from '../test/support/read-views.ts';
import { runProjections } from '../test/support/running.ts';
import { freePort } from '../test/support/services.ts';

const events = Number(process.argv[2] ?? 100_000);
const RATES = [250, 500, 1000, 1500, 2000];
const SECONDS = 8;
const CEILING_MS = 25;

const env = await testEnvironment({ LOG_LEVEL: 'warn' });
await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, demoHistory({ events, seed: 42 }));
const projections = runProjections(env);
const vistaPort = await freePort();
const peerPort = await freePort();
const vista = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
  env: { ...process.env, ...env.env, PORT: String(vistaPort), LOG_LEVEL: 'warn' },
  stdio: 'ignore',
});
let peer: ReturnType<typeof spawn> | undefined;
try {
  await waitForLiveViews(env, 8, 600_000);
  await projections.stop(); // the views stand still: both servers read the same rows
  peer = spawn(
    'npx',
    [
      '-y',
      'postgraphile@4.14.1',
      '-c',
      env.config.DATABASE_URL,
      '--schema',
      'public',
      '--port',
      String(peerPort),
      '--host',
      '127.0.0.1',
      '--disable-query-log',
    ],
    {
      stdio: 'ignore',
      cwd: '/tmp',
    },
  );
  const up = (url: string, body: string) =>
    eventually(
      () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
          async (r) => (r.ok && !(await r.text()).includes('"errors"') ? true : undefined),
          () => undefined,
        ),
      120_000,
      url,
    );
  const contenders = {
    vista: {
      url: `http://127.0.0.1:${vistaPort}/graphql`,
      body: JSON.stringify({
        query: '{ orders(first: 20) { edges { node { id status totalCents paidCents placedAt } } } }',
      }),
    },
    postgraphile: {
      url: `http://127.0.0.1:${peerPort}/graphql`,
      body: JSON.stringify({
        query:
          '{ allOrders(first: 20, orderBy: PLACED_AT_DESC) { edges { node { id status totalCents paidCents placedAt } } } }',
      }),
    },
  };
  for (const c of Object.values(contenders)) await up(c.url, c.body);
  // Warm both up (JIT, plan caches, pools) before anything is measured.
  for (const c of Object.values(contenders)) {
    await autocannon({
      url: c.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: c.body,
      connections: 20,
      duration: 5,
    });
  }
  console.log(
    `orders(first: 20) over ${events.toLocaleString('en')} events, ${SECONDS} s per rate, interleaved:`,
  );
  console.log('| rate/s | Vista p50 / p99 ms | PostGraphile p50 / p99 ms |');
  console.log('|---|---|---|');
  const ceiling: Record<string, number> = { vista: 0, postgraphile: 0 };
  for (const rate of RATES) {
    const row: string[] = [];
    for (const [name, c] of Object.entries(contenders)) {
      const result = await autocannon({
        url: c.url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: c.body,
        connections: 50,
        overallRate: rate,
        duration: SECONDS,
      });
      row.push(
        `${result.latency.p50} / ${result.latency.p99}${result.non2xx ? ` (${result.non2xx} non-2xx)` : ''}`,
      );
      if (result.latency.p99 <= CEILING_MS && result.non2xx === 0) ceiling[name] = rate;
    }
    console.log(`| ${rate} | ${row.join(' | ')} |`);
  }
  console.log(
    `highest tried rate with p99 <= ${CEILING_MS} ms: Vista ${ceiling.vista}/s, PostGraphile ${ceiling.postgraphile}/s`,
  );
} finally {
  vista.kill('SIGTERM');
  peer?.kill('SIGTERM');
  await projections.stop();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await env.cleanup();
}
