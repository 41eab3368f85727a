import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { Random } from '../../shared/random.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

/**
 * SIGKILL at random moments while every projection catches up: after the last restart each
 * view equals the independent model, so nothing was lost and nothing applied twice. Every other
 * life, and the last, reads its streams on a reader thread.
 */
describe('crash: projector processes SIGKILLed at random moments', () => {
  let env: TestEnvironment;
  let projector: ChildProjector | undefined;
  const history = [...demoHistory({ events: scaled(30_000, 100_000), seed: 31 })];
  const kills = scaled(6, 20);

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
  });

  afterAll(async () => {
    await projector?.stop('SIGKILL');
    await env?.cleanup();
  });

  it(`survives ${kills} kills with every view equal to the model`, async () => {
    const random = new Random(7);
    const { pool } = env.infrastructure;
    const progress = async () =>
      Number(
        (
          await pool
            .query('SELECT coalesce(sum(position), 0) AS p FROM vista_checkpoints')
            .catch(() => ({ rows: [{ p: 0 }] }))
        ).rows[0]?.p,
      );
    const heads = await streamHeads(env.infrastructure.nats.jsm, env.infrastructure.streams);
    const total = shopApp.projections
      .flatMap((p) => p.sources)
      .reduce((sum, s) => sum + (heads[s.stream] ?? 0), 0);
    /** Polls (every 10 ms, for at most 5 min) until `done`; fails with the projector's log. */
    const until = async (done: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 300_000;
      while (!(await done())) {
        if (projector?.exited) throw new Error(`the projector exited before ${what}:\n${projector.log}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within 5 min:\n${projector?.log}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    let survived = 0;
    const seen: number[] = [];
    let last = await progress();
    for (let i = 0; i < kills; i++) {
      // Every other life reads its streams on a reader thread (READER_THREAD).
      projector = new ChildProjector(env, {
        BATCH_SIZE: String(random.int(50, 2000)),
        READER_THREAD: String(i % 2 === 1),
      });
      if (i === 0) {
        // In its start-up (migrations, storage creation, leases): as soon as it says anything.
        await until(() => projector?.log !== '', 'start-up output');
      } else {
        // Timed by progress, not by the clock: once the checkpoints moved past a point between
        // the last kill's and the heads, spread so that every kill lands during catch-up.
        const step = Math.max(1, Math.floor((total - last) / (kills - i + 1)));
        const target = last + random.int(1, step);
        await until(async () => (await progress()) >= target, `progress to ${target} of ${total}`);
      }
      const killed = await projector.stop('SIGKILL');
      expect(killed).toBeNull();
      last = await progress();
      seen.push(last);
      survived++;
    }
    projector = new ChildProjector(env, { READER_THREAD: 'true' });
    await waitForLiveViews(env, 8, 600_000).catch((error) => {
      throw new Error(`${error}\n--- projector log ---\n${projector?.log}`);
    });
    expect(survived).toBe(kills);
    // The kills landed during catch-up, not after it: progress was made between kills, and
    // most came before the views had caught up.
    expect(seen.some((p, i) => i > 0 && p > (seen[i - 1] ?? 0))).toBe(true);
    expect(seen.filter((p) => p < total).length).toBeGreaterThanOrEqual(Math.ceil(kills / 2));
    await expectViewsToMatchModel(env, history);
  });
});
