import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../projectors/demo/history.ts';
import { publishMany } from '../../projectors/demo/publish-many.ts';
import { PROJECTIONS } from '../../projectors/registry.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/read-views.ts';
import { freePort } from '../support/services.ts';

/** Which projections a projector process owns, from its /metrics. */
async function owned(port: number): Promise<Set<string>> {
  const body = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  return new Set(
    [...body.matchAll(/vista_projection_owned\{projection="([a-z_]+)"\} 1/g)].map((m) => m[1] as string),
  );
}

describe('leases: two projector processes', () => {
  let env: TestEnvironment;
  const processes: { projector: ChildProjector; port: number }[] = [];
  const history = [...demoHistory({ events: 40_000, seed: 71 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      processes.push({
        projector: new ChildProjector(env, { METRICS_PORT: String(port), BATCH_SIZE: '500' }),
        port,
      });
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.projector.stop('SIGKILL')));
    await env?.cleanup();
  });

  it('each projection is processed by exactly one; killing the owner hands over from the checkpoint', async () => {
    const names = PROJECTIONS.map((p) => p.name);
    // Both processes up and every projection owned by exactly one of them, sampled over time.
    for (let sample = 0; sample < 10; sample++) {
      const sets = await eventually(async () => {
        const s = await Promise.all(processes.map((p) => owned(p.port)));
        return s[0]?.size || s[1]?.size ? s : undefined;
      });
      for (const name of names) {
        expect(sets.filter((s) => s.has(name)).length, `${name} owners`).toBeLessThanOrEqual(1);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ownerIndex = await eventually(async () => {
      const sets = await Promise.all(processes.map((p) => owned(p.port)));
      const index = sets.findIndex((s) => s.has('orders'));
      return index >= 0 ? index : undefined;
    });
    const owner = processes[ownerIndex] as (typeof processes)[number];
    const standby = processes[1 - ownerIndex] as (typeof processes)[number];
    const { rows } = await env.infrastructure.pool.query<{ p: number }>(
      `SELECT coalesce(sum(position), 0)::int AS p FROM vista_checkpoints WHERE projection = 'orders'`,
    );
    const killedAt = Date.now();
    await owner.projector.stop('SIGKILL');
    const takeoverMs = await eventually(
      async () => ((await owned(standby.port)).has('orders') ? Date.now() - killedAt : undefined),
      15_000,
      'the standby to take orders over',
    );
    expect(takeoverMs).toBeLessThan(10_000);
    // Everything the dead owner had is now with the standby.
    await eventually(
      async () => ((await owned(standby.port)).size === names.length ? true : undefined),
      15_000,
    );
    await waitForLiveViews(env, 8, 180_000);
    expect(rows[0]?.p).toBeGreaterThan(0);
    await expectViewsToMatchModel(env, history);
  });
});
