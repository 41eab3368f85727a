import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { freePort, service } from '../support/services.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

const status = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    async (r) => ({ code: r.status, body: await r.text() }),
    () => ({ code: 0, body: '' }),
  );

/** PostgreSQL stopped mid-stream: projectors and API report it, retry, and resume with nothing lost. */
describe('PostgreSQL outage', () => {
  let env: TestEnvironment;
  let projector: ChildProjector;
  let api: ChildProcess;
  let metricsPort: number;
  let apiPort: number;
  const before = [...demoHistory({ events: 10_000, seed: 61 })];
  const during = [...demoHistory({ events: 10_000, seed: 62 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, before);
    metricsPort = await freePort();
    apiPort = await freePort();
    projector = new ChildProjector(env, { METRICS_PORT: String(metricsPort) });
    api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      env: { ...process.env, ...env.env, PORT: String(apiPort) },
      stdio: 'ignore',
    });
    await waitForLiveViews(env, 8);
    await eventually(async () =>
      (await status(`http://127.0.0.1:${apiPort}/readyz`)).code === 200 ? true : undefined,
    );
  });

  afterAll(async () => {
    await service('start', 'postgres');
    await projector?.stop('SIGKILL');
    api?.kill('SIGKILL');
    await env?.cleanup();
  });

  it('reports unhealthy while it is down, then catches up with nothing lost', async () => {
    const outageStarted = Date.now();
    await service('stop', 'postgres');
    // Events keep arriving while the database is down.
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, during);
    const ready = await eventually(async () => {
      const r = await status(`http://127.0.0.1:${apiPort}/readyz`);

      return r.code === 503 ? r : undefined;
    }, 60_000);
    expect(ready.code).toBe(503);
    // The projector says so too: not ready, and within a lease's TTL (no renewal can reach the
    // database) it no longer owns anything, while it keeps trying.
    const projectorReady = await eventually(async () => {
      const r = await status(`http://127.0.0.1:${metricsPort}/readyz`);
      return r.code === 503 ? r : undefined;
    }, 60_000);
    expect(projectorReady.body).toBe('database unreachable');
    await eventually(
      async () => {
        const { body: metrics } = await status(`http://127.0.0.1:${metricsPort}/metrics`);
        return /vista_projection_owned\{projection="orders"\} 0/.test(metrics) ? true : undefined;
      },
      15_000,
      'the projector to give its leases up',
    );
    const outageMs = scaled(10_000, 10_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageMs - (Date.now() - outageStarted))));
    expect(projector.exited).toBe(false);
    expect(api.exitCode).toBeNull();

    await service('start', 'postgres');
    await eventually(
      async () => ((await status(`http://127.0.0.1:${apiPort}/readyz`)).code === 200 ? true : undefined),
      60_000,
    );
    await waitForLiveViews(env, 8, 180_000).catch((error) => {
      throw new Error(`${error}\n--- projector log ---\n${projector.log}`);
    });
    await expectViewsToMatchModel(env, [...before, ...during]);
  });
});
