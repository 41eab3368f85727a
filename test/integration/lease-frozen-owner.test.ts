import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { leaseHolders, livePositions, projectionStatus } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { type LogLine, leaseAcquired, ProjectorProcesses } from '../support/projector-process.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

const NAMES = shopApp.projections.map((p) => p.name);
const leaseLost = (line: LogLine) => line.msg === 'lease lost';

describe('an owner that is alive but frozen', () => {
  let env: TestEnvironment;
  const processes = new ProjectorProcesses();
  const history = [...demoHistory({ events: 20_000, seed: 23 })];

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await processes.killAll();
    await env?.cleanup();
  });

  it('loses its leases within 10 s (SIGSTOP), and once resumed (SIGCONT) overwrites nothing', async () => {
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    const a = processes.start(env, 'A', { BATCH_SIZE: '200' });
    for (const name of NAMES) await a.waitForLog(leaseAcquired(name), `the lease of ${name}`);
    const b = processes.start(env, 'B', { BATCH_SIZE: '200' });
    await b.waitForLog((l) => l.msg === 'projectors started', 'its start');
    // B joins and gets its share: A gives two projections up.
    await eventually(
      async () =>
        (await leaseHolders(pool, NAMES)).filter((l) => l.owner.includes(`:${b.pid}:`)).length ===
        NAMES.length / 2
          ? true
          : undefined,
      30_000,
      'B to get its share',
    );

    // The last 2,000 events are held back until A is frozen and taken over, so that B has
    // something to move on with however fast the rest was caught up.
    const heldBack = history.length - 2000;
    const publishing = (async () => {
      for (let at = 0; at < heldBack; at += 2000) {
        await publishMany(nats.js, streams, history.slice(at, at + 2000));
        await sleep(100);
      }
    })();
    // Frozen mid catch-up: A has committed real progress and has batches in hand.
    await eventually(
      async () => (((await livePositions(pool)).orders?.ORDERS ?? 0) >= 1000 ? true : undefined),
      60_000,
      'orders to commit its first batches',
    );
    const heldByA = (await leaseHolders(pool, NAMES)).filter((l) => l.owner.includes(`:${a.pid}:`));
    expect(heldByA.length).toBeGreaterThan(0);
    process.kill(a.pid, 'SIGSTOP');
    const frozenAt = Date.now();
    const takenOver = await Promise.all(
      // What A held when frozen (the two processes had shared the projections); B had the rest.
      heldByA.map(async ({ projection: name }) => {
        const line = await b.waitForLog(
          (l) => leaseAcquired(name)(l) && (l.time ?? 0) >= frozenAt,
          `taking ${name} over`,
          20_000,
        );
        return (line.time ?? Date.now()) - frozenAt;
      }),
    );
    console.log(`take-over of a frozen owner's leases: ${takenOver.map((ms) => `${ms} ms`).join(', ')}`);
    for (const ms of takenOver) expect(ms).toBeLessThan(10_000);
    const epochs = await leaseHolders(pool, NAMES);
    expect(epochs.every((l) => l.epoch >= 2)).toBe(true);

    // B moves on while A is frozen with its batches; then A wakes up into a world it no longer owns.
    await publishing;
    const atResume = (await livePositions(pool)).orders?.ORDERS ?? 0;
    await publishMany(nats.js, streams, history.slice(heldBack));
    await eventually(
      async () => (((await livePositions(pool)).orders?.ORDERS ?? 0) > atResume ? true : undefined),
      30_000,
      'B to advance orders',
    );
    process.kill(a.pid, 'SIGCONT');
    await a.waitForLog(leaseLost, 'that it lost its leases', 30_000);

    await waitForLiveViews(env, 8, 120_000);
    await expectViewsToMatchModel(env, history);
    // The status served is the owner's (B's), not A's last words: reported a moment after the
    // positions moved, it settles at running.
    let lastSeen = {};
    await eventually(
      async () => {
        const status = await projectionStatus(pool);
        lastSeen = status;
        return NAMES.every((name) => status[name]?.status === 'running') || undefined;
      },
      15_000,
      'every projection to report running',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${JSON.stringify(lastSeen)}`);
    });
    const heads = await streamHeads(nats.jsm, streams);
    expect(heads.ORDERS).toBeGreaterThan(0);
    // Resumed, A is a peer again and may get a share back, but never a tenure it lost: whatever
    // it holds now it acquired anew, with an epoch above the one it was frozen with.
    for (const lease of (await leaseHolders(pool, NAMES)).filter((l) => l.owner.includes(`:${a.pid}:`))) {
      const before = heldByA.find((l) => l.projection === lease.projection);
      if (before) expect(lease.epoch).toBeGreaterThan(before.epoch);
    }
  }, 240_000);
});
