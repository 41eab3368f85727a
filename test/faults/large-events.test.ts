import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { type OutgoingEvent, toEnvelope } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { OwnNatsServer } from '../support/nats-server.ts';
import { type ProjectorProcess, ProjectorProcesses } from '../support/projector-process.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

/** Room left in a message for its NATS headers (`Nats-Msg-Id`, the expected last id, a trace). */
const HEADER_ROOM = 512;
/** Events of the broker's maximum size in the burst. */
const LARGE = scaled(100, 300);
/** Well below the 5 min 20 s the issue saw a view stand still; a view that stalls does not get there. */
const CATCH_UP_MS = 180_000;

/**
 * The first `count` `order_placed` events of `events`, padded with a field no view reads to
 * `bytes` once encoded: valid events of the broker's maximum size, which every shop view folds
 * (they all read ORDERS).
 */
function enlargeOrders(events: readonly OutgoingEvent[], count: number, bytes: number): OutgoingEvent[] {
  let enlarged = 0;
  return events.map((event) => {
    if (enlarged >= count || event.eventType !== OrderPlaced) return event;
    enlarged++;
    const data = event.data as Record<string, unknown>;
    const size = Buffer.byteLength(JSON.stringify(toEnvelope({ ...event, data: { ...data, note: '' } })));
    return { ...event, data: { ...data, note: 'x'.repeat(bytes - size) } };
  });
}

/** The most memory the process ever had resident (Linux: VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024);
}

/** The server's slow-consumer reports, one per cut connection. */
function slowConsumers(nats: OwnNatsServer): string[] {
  return nats.log.match(/Slow Consumer Detected[^\n]*/g) ?? [];
}

/** Why the projector's stream readers started new consumers, and how often. */
function restarts(projector: ProjectorProcess): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of projector.lines) {
    if (line.msg === 'stream reader starts a new consumer') {
      const reason = String(line.reason);
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
  }
  return counts;
}

/**
 * Events as large as the broker takes (1 MB), in a burst between small ones (issue 21.4): a
 * projector's stream readers share one NATS connection, and the server cuts a connection off
 * as a slow consumer once more than 64 MB wait for it. Each test has a nats-server of its own,
 * whose log says whether it did.
 */
describe('large events', () => {
  const processes = new ProjectorProcesses();
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    await processes.killAll();
    // Every cleanup runs whatever an earlier one threw: an installation that cannot be removed
    // (Elasticsearch down) must not leave its nats-server running past the test run.
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });

  /** A shop installation on a nats-server of its own, with half of a history published. */
  async function installation(seed: number) {
    const nats = await OwnNatsServer.start();
    cleanups.push(() => nats.destroy());
    const env = await testEnvironment({ NATS_URL: nats.url });
    cleanups.push(() => env.cleanup());
    const maxPayload = env.infrastructure.nats.connection.info?.max_payload ?? 1024 * 1024;
    const history = [...demoHistory({ events: scaled(3000, 10_000), seed })];
    const half = Math.floor(history.length / 2);
    const before = history.slice(0, half);
    const burst = enlargeOrders(history.slice(half), LARGE, maxPayload - HEADER_ROOM);
    expect(burst.filter((e) => e.eventType === OrderPlaced).length).toBeGreaterThanOrEqual(LARGE);
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, before);
    return { nats, env, before, burst, eventBytes: maxPayload - HEADER_ROOM };
  }

  /** Fails naming what each projection reached, when the views do not catch up. */
  async function catchUp(
    env: TestEnvironment,
    projector: ProjectorProcess,
    nats: OwnNatsServer,
  ): Promise<void> {
    await waitForLiveViews(env, 8, CATCH_UP_MS).catch(async (error: unknown) => {
      const { rows } = await env.infrastructure.pool.query(
        'SELECT projection, stream, position FROM vista_checkpoints ORDER BY 1, 2',
      );
      const heads = await streamHeads(env.infrastructure.nats.jsm, env.infrastructure.streams);
      throw new Error(
        `${error}\nheads ${JSON.stringify(heads)}; checkpoints ${JSON.stringify(rows)}; ` +
          `projector exited: ${projector.exited}; slow consumers: ${slowConsumers(nats).join(' | ') || 'none'}`,
      );
    });
  }

  it(`${LARGE} events of 1 MB between small ones: every view catches up, with no slow consumer and no restart, equal to the model`, async () => {
    processes.printLogsOnFailure();
    const { nats, env, before, burst, eventBytes } = await installation(211);
    const projector = processes.start(env, 'projector');
    await waitForLiveViews(env, 8, 300_000);

    // Live: the burst arrives while every projection is at the heads.
    const started = Date.now();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, burst, { window: 200 });
    const published = Date.now() - started;
    await catchUp(env, projector, nats);
    const caughtUp = Date.now() - started;
    const peak = await peakRssMb(projector.pid);
    console.log(
      `large events: ${burst.length} events (${LARGE} of ${eventBytes} bytes) published in ${published} ms; ` +
        `every view at the heads ${caughtUp} ms after the first; projector peak RSS ${peak} MB; ` +
        `slow consumers: ${slowConsumers(nats).length}; readers started over: ${JSON.stringify(restarts(projector))}`,
    );

    // The readers' pulls together stay within PULL_BUDGET_BYTES (32 MiB), half the server's limit.
    expect(slowConsumers(nats).filter((line) => line.includes('MaxPending'))).toEqual([]);
    expect(projector.exited).toBe(false);
    expect(projector.lines.filter((l) => l.msg === 'lease acquired')).toHaveLength(4);
    // Bounded by bytes: the pull budget, and each projection's queue and batches in flight
    // (about 160 MB of payloads in all) beside a process of about 160 MB. Batches bounded
    // by count only, or a queue that keeps what it handed on, go far beyond.
    expect(peak).toBeLessThan(512);
    await expectViewsToMatchModel(env, [...before, ...burst]);
  });

  it('a projector cut off by the server as a slow consumer recovers by itself, every view equal to the model', async () => {
    processes.printLogsOnFailure();
    const { nats, env, before, burst } = await installation(212);
    // The projector reaches its broker through a proxy that can stop reading, as a client too
    // busy to read would; and it is allowed to ask for far more than the server lets wait.
    const proxy = new TcpProxy({ host: '127.0.0.1', port: nats.port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const projector = processes.start(env, 'projector', {
      NATS_URL: `nats://127.0.0.1:${proxy.port}`,
      PULL_BUDGET_BYTES: String(1024 * 1024 * 1024),
    });
    await waitForLiveViews(env, 8, 300_000);

    const started = Date.now();
    const publishing = publishMany(env.infrastructure.nats.js, env.infrastructure.streams, burst, {
      window: 200,
    });
    // A publisher that fails (its broker gone) fails the waits below at once, with its own
    // error, rather than leaving them to time out and its rejection unhandled.
    let publishFailure: unknown;
    publishing.catch((error: unknown) => {
      publishFailure = error;
    });
    const unlessPublishingFailed = <T>(value: T): T => {
      if (publishFailure !== undefined) throw publishFailure;
      return value;
    };
    // Once the large events flow to the projector, it stops reading until the server cuts it off.
    const flowing = proxy.bytesFromService + 16 * 1024 * 1024;
    await eventually(
      async () => unlessPublishingFailed(proxy.bytesFromService >= flowing ? true : undefined),
      120_000,
      'the burst to flow',
    );
    proxy.stall();
    await eventually(
      async () => unlessPublishingFailed(slowConsumers(nats).length > 0 ? true : undefined),
      120_000,
      'a slow consumer',
    );
    proxy.resume();
    await publishing;
    await catchUp(env, projector, nats);
    console.log(
      `large events, slow consumer: every view at the heads ${Date.now() - started} ms after the burst began; ` +
        `slow consumers: ${slowConsumers(nats).length} (${slowConsumers(nats)[0]}); readers started over: ${JSON.stringify(restarts(projector))}`,
    );

    expect(projector.exited).toBe(false);
    expect(projector.lines.filter((l) => l.msg === 'lease acquired')).toHaveLength(4);
    expect(projector.lines.some((l) => l.msg === 'stream reader starts a new consumer')).toBe(true);
    await expectViewsToMatchModel(env, [...before, ...burst]);
  });
});
