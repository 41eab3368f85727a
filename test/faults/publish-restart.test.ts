import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import type { OutgoingEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { OwnNatsServer } from '../support/nats-server.ts';

/** Every event id of a stream, in stream order, read with an ordered consumer. */
async function idsInStream(env: TestEnvironment, stream: string): Promise<string[]> {
  const { js, jsm } = env.infrastructure.nats;
  const name = env.infrastructure.streams.streamName(stream);
  const { state } = await jsm.streams.info(name);
  const ids: string[] = [];
  if (state.messages === 0) return ids;
  const consumer = await js.consumers.get(name);
  const messages = await consumer.consume();
  for await (const message of messages) {
    ids.push((message.json() as { id: string }).id);
    if (ids.length === state.messages) break;
  }
  await messages.close();
  return ids;
}

/**
 * The broker restarted in the middle of a publishMany (issue 15.8): publishing pauses, resumes
 * each stream from its first unacknowledged event, and every event lands once, in order. On a
 * broker of the test's own, so the shared one the other tests use stays up.
 */
describe('publishMany across a broker restart', () => {
  let nats: OwnNatsServer;
  let env: TestEnvironment;

  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    env = await testEnvironment({ NATS_URL: nats.url });
  });

  afterAll(async () => {
    await nats?.start();
    await env?.cleanup();
    await nats?.destroy();
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'lands every event once, in order, when nats-server restarts (%s) mid-publish',
    async (signal) => {
      const events: OutgoingEvent[] = [
        ...demoHistory({ events: scaled(30_000, 100_000), seed: signal === 'SIGTERM' ? 81 : 82 }),
      ].map((event) => ({ ...event, id: `${signal}-${event.id}` }));
      const streamsBefore = Object.fromEntries(
        await Promise.all(
          env.infrastructure.streams.names.map(async (s) => [s, await idsInStream(env, s)] as const),
        ),
      );
      let restarted: Promise<void> | undefined;
      const report = await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, events, {
        // Restart on observed progress, with most of the events still to come.
        onProgress: (published) => {
          restarted ??= (async () => {
            expect(published).toBeLessThan(events.length);
            await nats.stop(signal);
            await nats.start();
          })();
        },
      });
      await restarted;
      expect(restarted).toBeDefined();
      expect(report.published).toBe(events.length);
      expect(report.retries).toBeGreaterThan(0);
      for (const stream of env.infrastructure.streams.names) {
        const expected = events.filter((e) => e.eventType.stream === stream).map((e) => e.id);
        const landed = (await idsInStream(env, stream)).slice(streamsBefore[stream]?.length ?? 0);
        expect(new Set(landed).size, `${stream}: no event twice`).toBe(landed.length);
        expect(landed.length, `${stream}: every event`).toBe(expected.length);
        expect(landed, `${stream}: in order`).toEqual(expected);
      }
    },
  );

  it('says so when another publisher writes the same stream, and interleaves with exclusive: false', async () => {
    const one = [...demoHistory({ events: 3000, seed: 83 })].map((e) => ({ ...e, id: `one-${e.id}` }));
    const two = [...demoHistory({ events: 3000, seed: 84 })].map((e) => ({ ...e, id: `two-${e.id}` }));
    const { js } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    const exclusive = await Promise.allSettled([
      publishMany(js, streams, one),
      publishMany(js, streams, two),
    ]);
    expect(exclusive.map((r) => r.status)).toContain('rejected');
    const refused = exclusive.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(String(refused?.reason)).toMatch(/another publisher wrote to a stream/);
    const shared = await Promise.all([
      publishMany(js, streams, one, { exclusive: false }),
      publishMany(js, streams, two, { exclusive: false }),
    ]);
    expect(shared.map((r) => r.published)).toEqual([3000, 3000]);
  });
});
