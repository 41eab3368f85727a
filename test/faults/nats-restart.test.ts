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
    projector = new ChildProjector(env, { BATCH_SIZE: '500' });
    // Restart while the projections are still catching up.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await service('stop', 'nats');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await service('start', 'nats');
    expect(projector.exited).toBe(false);
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, after);
    await waitForLiveViews(env, 8, 180_000).catch((error) => {
      throw new Error(`${error}\n--- projector log ---\n${projector.log}`);
    });
    await expectViewsToMatchModel(env, [...before, ...after]);
  });
});
