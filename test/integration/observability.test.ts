import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import {
  defineSqlProjection,
  registerProjectionMetrics,
  statusReader,
} from '../../projectors/engine/internal.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { ARTIFACTS, launchBrowser } from '../support/browser.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';

/** A projection whose batch never finishes until the test lets it: it has lag and cannot advance. */
let release: () => void = () => undefined;
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
const stuck = defineSqlProjection(shop, {
  name: 'stuck',
  version: 1,
  sources: [{ stream: 'ORDERS' }],
  handles: ['orders.order_placed.v1'],
  tables: (table) => [`CREATE TABLE IF NOT EXISTS ${table('rows')} (id text)`],
  view: (table) => `SELECT id FROM ${table('rows')}`,
  apply: async () => {
    await gate;
  },
});

/**
 * `promtool check metrics` on an exposition: whether it parses (exit 1 when it does not) and
 * its lint problems (exit 3), less the three that prom-client's own Node.js gauges always have
 * (`nodejs_active_*_total`, named so by prom-client, not by Vista).
 */
function promtool(exposition: string) {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error)
    throw new Error(`promtool missing (bash scripts/ensure-deps.sh --test-tools): ${run.error.message}`);
  const problems = `${run.stdout}${run.stderr}`
    .split('\n')
    .filter(
      (line) => line.trim() && !/^nodejs_active_(handles|requests|resources)_total non-counter/.test(line),
    );
  return { parses: run.status === 0 || run.status === 3, problems };
}

describe('stall detection and metrics', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    env = await testEnvironment({ STALL_AFTER_S: '1' });
    await publishMany(
      env.infrastructure.nats.js,
      env.infrastructure.streams,
      demoHistory({ events: 500, seed: 3 }),
    );
    projections = runProjections(
      env,
      [env.app.projections.find((p) => p.name === 'orders'), stuck].filter((p) => p !== undefined),
    );
    api = await startApi(env);
  });

  afterAll(async () => {
    release();
    await api?.close();
    await projections?.stop();
    await env?.cleanup();
  });

  it('a projection with lag that does not advance for STALL_AFTER_S is stalled in GraphQL, status and metrics; one that keeps up is not', async () => {
    type Row = {
      name: string;
      status: string;
      detail: string | null;
      positions: { lag: number; lagSeconds: number }[];
    };
    const rows = await eventually(
      async () => {
        const { body } = await api.query<{ projections: Row[] }>(
          '{ projections { name status detail positions { lag lagSeconds } } }',
        );
        const list = body.data?.projections ?? [];
        const ordersRow = list.find((p) => p.name === 'orders');
        return list.find((p) => p.name === 'stuck')?.status === 'STALLED' && ordersRow?.status === 'RUNNING'
          ? list
          : undefined;
      },
      30_000,
      'stuck to be STALLED and orders RUNNING',
    );
    const stalled = rows.find((p) => p.name === 'stuck') as Row;
    expect(stalled.detail).toMatch(
      /^no progress for \d+ s with \d+ events of lag \(owner reports catching_up\)/,
    );
    expect(stalled.positions[0]?.lag).toBeGreaterThan(0);
    expect(stalled.positions[0]?.lagSeconds).toBeGreaterThanOrEqual(1);
    expect(
      (rows.find((p) => p.name === 'orders') as Row).positions.every(
        (p) => p.lag === 0 && p.lagSeconds === 0,
      ),
    ).toBe(true);

    const { pool, nats, streams } = env.infrastructure;
    const status = await statusReader(pool, nats.jsm, streams, 1000).read();
    expect(status.find((s) => s.name === 'stuck')?.status).toBe('stalled');
    expect(status.find((s) => s.name === 'orders')?.status).toBe('running');

    const registry = createRegistry();
    registerProjectionMetrics(registry, projections.host, () =>
      statusReader(pool, nats.jsm, streams, 1000).read(),
    );
    const exposition = await registry.metrics();
    expect(exposition).toMatch(
      /^vista_projection_stalled\{projection="stuck",generation="1",role="live"\} 1$/m,
    );
    expect(exposition).toMatch(
      /^vista_projection_stalled\{projection="orders",generation="1",role="live"\} 0$/m,
    );
    expect(exposition).toMatch(
      /^vista_projection_lag_seconds\{projection="stuck",generation="1",role="live",stream="ORDERS"\} [1-9]/m,
    );
    expect(exposition).toMatch(
      /^vista_projection_position\{projection="orders",generation="1",partition="0",role="live",stream="ORDERS"\} [1-9]/m,
    );
    expect(exposition).toMatch(
      /^vista_projection_events_total\{projection="orders",generation="1",partition="0"\} [1-9]/m,
    );
    expect(exposition).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(exposition).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(promtool(exposition)).toEqual({ parses: true, problems: [] });
  });

  it("the API's /metrics: request durations by operation and process metrics, valid for promtool", async () => {
    await api.query('query ConsoleProbe { projections { name } }');
    await api.query('{ projections { name } }');
    // The GC histogram has buckets once a collection was observed: make sure one happened
    // (a short test of a frugal API may otherwise see none).
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
    const exposition = await (await fetch(`${api.url}/metrics`)).text();
    expect(exposition).toMatch(
      /^vista_api_request_duration_seconds_count\{operation="ConsoleProbe",type="query",status="200"\} 1$/m,
    );
    expect(exposition).toMatch(
      /^vista_api_request_duration_seconds_bucket\{le="0\.1",operation="anonymous",type="query",status="200"\} [1-9]/m,
    );
    expect(exposition).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(exposition).toMatch(/^nodejs_gc_duration_seconds_bucket/m);
    expect(promtool(exposition)).toEqual({ parses: true, problems: [] });
  });

  it('the console marks the stalled projection, with its reason, and not the one that keeps up', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${api.url}/console`);
      const stuckCard = page.locator('[data-testid="projection"][data-name="stuck"]');
      await expect
        .poll(() => stuckCard.getByTestId('status').textContent(), { timeout: 30_000 })
        .toBe('stalled');
      expect(await stuckCard.getByTestId('reason').textContent()).toMatch(
        /^no progress for \d+ s with \d+ events of lag/,
      );
      expect(await stuckCard.getAttribute('class')).toContain('attention');
      const ordersCard = page.locator('[data-testid="projection"][data-name="orders"]');
      expect(await ordersCard.getByTestId('status').textContent()).toBe('running');
      expect(await ordersCard.getByTestId('reason').count()).toBe(0);
      await page.screenshot({ path: new URL('console-stalled.png', ARTIFACTS).pathname, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
