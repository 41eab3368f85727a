import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { readGenerations, requestRebuild } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { digestView } from '../support/dump.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

/** A projector process for this test's environment, running only `orders`, in small batches. */
function projector(env: TestEnvironment): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
    env: { ...process.env, ...env.env, PROJECTIONS: 'orders', BATCH_SIZE: '250' },
    stdio: 'ignore',
  });
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

describe('a rebuild survives a crash', () => {
  let env: TestEnvironment;
  let child: ChildProcess | undefined;

  const positionOf = async (generation: number) => {
    const { rows } = await env.infrastructure.pool.query<{ done: number }>(
      `SELECT coalesce(sum(position), 0) AS done FROM vista_checkpoints WHERE projection = 'orders' AND generation = $1`,
      [generation],
    );
    return rows[0]?.done ?? 0;
  };

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(
      env.infrastructure.nats.js,
      env.infrastructure.streams,
      demoHistory({ events: 60_000, seed: 3 }),
    );
  });

  afterAll(async () => {
    if (child) await kill(child, 'SIGKILL');
    await env?.cleanup();
  });

  it('resumes from its own checkpoint after SIGKILL, never touching the live generation', async () => {
    const { pool } = env.infrastructure;
    child = projector(env);
    const { ORDERS = 0, PAYMENTS = 0 } = await streamHeads(
      env.infrastructure.nats.jsm,
      env.infrastructure.streams,
    );
    const total = ORDERS + PAYMENTS;
    await eventually(
      async () => ((await positionOf(1)) === total ? true : undefined),
      90_000,
      'generation 1',
    );
    const live = await digestView(pool, 'orders');

    await requestRebuild(pool, 'orders');
    const building = await eventually(async () => (await readGenerations(pool, 'orders')).building, 10_000);
    await eventually(
      async () => ((await positionOf(building.generation)) > total * 0.2 ? true : undefined),
      60_000,
    );
    await kill(child, 'SIGKILL');
    const atKill = await positionOf(building.generation);
    expect(atKill).toBeLessThan(total);

    // The live generation was never touched and still serves.
    expect(await digestView(pool, 'orders')).toEqual(live);
    expect((await readGenerations(pool, 'orders')).live?.generation).toBe(1);

    child = projector(env);
    const resumedAt = await eventually(async () => {
      const position = await positionOf(building.generation);
      return position !== atKill ? position : undefined;
    }, 30_000);
    // Same generation, same checkpoint: it went on from where it was, not from sequence 1.
    expect((await readGenerations(pool, 'orders')).building?.generation ?? building.generation).toBe(
      building.generation,
    );
    expect(resumedAt).toBeGreaterThan(atKill);

    await eventually(
      async () =>
        (await readGenerations(pool, 'orders')).live?.generation === building.generation ? true : undefined,
      90_000,
      'the cut-over',
    );
    expect(await digestView(pool, 'orders')).toEqual(live);
  });
});
