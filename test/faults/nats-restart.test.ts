import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { service } from '../support/services.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

/** nats-server restarted mid-stream: consumers come back and resume from their checkpoints. */
describe('NATS restart', () => {
  let env: TestEnvironment;
  let projector: ChildProjector;
  const before = [...demoHistory({ events: scaled(20_000, 60_000), seed: 51 })];
  const after = [...demoHistory({ events: 5000, seed: 52 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, before);
  });

  afterAll(async () => {
    await service('start', 'nats');
    await projector?.stop('SIGKILL');
    await env?.cleanup();
  });

  it('resumes from the checkpoints and ends equal to the model', async () => {
    const { pool } = env.infrastructure;
    const progress = async () =>
      Number(
        (
          await pool
            .query('SELECT coalesce(sum(position), 0) AS p FROM vista_checkpoints')
            .catch(() => ({ rows: [{ p: 0 }] }))
        ).rows[0]?.p,
      );
    /** Polls (every 20 ms, for at most 5 min) until `done`; fails with the projector's log. */
    const until = async (done: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 300_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`no ${what} within 5 min:\n${projector.log}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    projector = new ChildProjector(env, { BATCH_SIZE: '500' });
    // Restart while the projections are still catching up: after their first commits.
    await until(async () => (await progress()) > 0, 'first commit');
    const atStop = await progress();
    await service('stop', 'nats');
    // Back once the projector has seen the broker go.
    await until(() => projector.log.includes('"nats":"disconnect"'), 'disconnect seen by the projector');
    await service('start', 'nats');
    expect(projector.exited).toBe(false);
    // Publishing right after the restart: publishMany retries what times out meanwhile.
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, after);
    await waitForLiveViews(env, 8, 180_000).catch((error) => {
      throw new Error(`${error}\n--- projector log ---\n${projector.log}`);
    });
    expect(await progress()).toBeGreaterThan(atStop);
    await expectViewsToMatchModel(env, [...before, ...after]);
  });
});
