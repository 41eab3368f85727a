import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addressOf,
  type RawMessage,
  type ReaderThread,
  readerThreadFor,
  readOrdered,
  StreamGapError,
} from '../../projectors/engine/internal.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

const WIDE = { items: 10_000, bytes: 64 * 1024 * 1024 };

/**
 * The stream readers on a thread of their own (READER_THREAD): the main thread gets the same
 * messages as from `readOrdered`, a failure after the messages before it, and the thread runs at
 * most its window ahead of what the main thread took.
 */
describe('the reader thread', () => {
  let env: TestEnvironment;
  let thread: ReaderThread;
  let sequences: number[];

  const address = (stream: 'CATALOG' | 'PAYMENTS', filter?: string) =>
    addressOf(env.infrastructure.streams, { stream, ...(filter ? { filter } : {}) });

  /** Publishes `count` messages on PAYMENTS (every third with headers, one a traceparent), of growing sizes. */
  async function publish(count: number, tag: string): Promise<number[]> {
    const { nats, streams } = env.infrastructure;
    const published: number[] = [];
    for (let i = 0; i < count; i++) {
      const subject = streams.subjects('PAYMENTS').replace('>', `${tag}.${i % 2 ? 'odd' : 'even'}`);
      const payload = new TextEncoder().encode(`{"n":${i},"text":"${'é'.repeat(i)}\\u0000"}`);
      let headers: ReturnType<typeof natsHeaders> | undefined;
      if (i % 3 === 0) {
        headers = natsHeaders();
        headers.append('ce-type', `t${i}`);
        headers.append('X-Twice', 'a');
        headers.append('X-Twice', 'b');
        if (i % 6 === 0) headers.append('traceparent', `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`);
      }
      published.push((await nats.js.publish(subject, payload, headers ? { headers } : {})).seq);
    }
    return published;
  }

  /** What a message says, headers as plain pairs: the two readers' messages compare equal by it. */
  const plain = (m: RawMessage) => ({
    stream: m.stream,
    sequence: m.sequence,
    subject: m.subject,
    payload: Buffer.from(m.payload).toString('hex'),
    pending: m.pending,
    receivedAt: m.receivedAt,
    headers: m.headers ? [...m.headers].map(([name, values]) => [name, [...values]]) : undefined,
    traceparent: m.traceparent,
  });

  async function onMain(stream: 'CATALOG' | 'PAYMENTS', after: number, count: number, filter?: string) {
    const stop = new AbortController();
    const seen: RawMessage[] = [];
    const source = { stream, ...(filter ? { filter } : {}) };
    for await (const messages of readOrdered(
      env.infrastructure.nats,
      env.infrastructure.streams,
      source,
      after,
      stop.signal,
      {
        budget: env.infrastructure.pullBudget,
      },
    )) {
      seen.push(...messages);
      if (seen.length >= count) break;
    }
    return seen;
  }

  async function onThread(stream: 'CATALOG' | 'PAYMENTS', after: number, count: number, filter?: string) {
    const stop = new AbortController();
    const seen: RawMessage[] = [];
    for await (const pack of thread.read(address(stream, filter), after, stop.signal, WIDE)) {
      seen.push(...pack);
      if (seen.length >= count) break;
    }
    return seen;
  }

  beforeAll(async () => {
    env = await testEnvironment();
    thread = readerThreadFor({ ...env.config, READER_THREAD: true }, env.log) as ReaderThread;
    sequences = await publish(300, 'm');
  });

  afterEach(async () => {
    // Every reader closed its consumer on the server.
    const { jsm } = env.infrastructure.nats;
    const name = env.infrastructure.streams.streamName('PAYMENTS');
    await eventually(async () =>
      (await jsm.streams.info(name)).state.consumer_count === 0 ? true : undefined,
    );
  });

  afterAll(async () => {
    await thread?.close();
    await env?.cleanup();
  });

  it('hands over the messages readOrdered yields, byte for byte, headers and traceparent included', async () => {
    const main = await onMain('PAYMENTS', 0, sequences.length);
    const threaded = await onThread('PAYMENTS', 0, sequences.length);
    expect(threaded.map((m) => m.sequence)).toEqual(sequences);
    expect(threaded.map(plain)).toEqual(main.map(plain));
    expect(threaded.filter((m) => m.traceparent).length).toBe(50);
    expect([...(threaded[0]?.headers ?? [])]).toContainEqual(['X-Twice', ['a', 'b']]);
  });

  it('starts after a position, and reads a filtered source', async () => {
    const after = sequences[199] as number;
    expect((await onThread('PAYMENTS', after, 100)).map((m) => m.sequence)).toEqual(sequences.slice(200));
    const filter = 'payments.m.odd';
    const odd = await onThread('PAYMENTS', 0, 150, filter);
    expect(odd.map(plain)).toEqual((await onMain('PAYMENTS', 0, 150, filter)).map(plain));
    expect(odd.every((m) => m.subject.endsWith('.m.odd'))).toBe(true);
  });

  it('runs at most its window ahead of what the main thread took', async () => {
    const stop = new AbortController();
    const reading = thread.read(address('PAYMENTS'), 0, stop.signal, { items: 40, bytes: 64 * 1024 * 1024 });
    const first = await reading.next();
    expect(first.done).toBe(false);
    let taken = (first.value as RawMessage[]).length;
    // Given time, the thread hands over what its window allows and no more.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(taken + thread.queued).toBe(40);
    while (taken < sequences.length) {
      const next = await reading.next();
      if (next.done) break;
      taken += next.value.length;
      expect(thread.queued).toBeLessThanOrEqual(40);
    }
    expect(taken).toBe(sequences.length);
    await reading.return(undefined);
  });

  it('fails with StreamGapError at a deleted message, after the messages before it', async () => {
    const { jsm } = env.infrastructure.nats;
    const name = env.infrastructure.streams.streamName('CATALOG');
    const subject = env.infrastructure.streams.subjects('CATALOG').replace('>', 'gap.test');
    for (let i = 0; i < 10; i++) await env.infrastructure.nats.js.publish(subject, new Uint8Array([i]));
    const { first_seq } = (await jsm.streams.info(name)).state;
    await jsm.streams.deleteMessage(name, first_seq + 5);
    const seen: number[] = [];
    const failure = await (async () => {
      for await (const pack of thread.read(
        address('CATALOG'),
        first_seq - 1,
        new AbortController().signal,
        WIDE,
      ))
        seen.push(...pack.map((m) => m.sequence));
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StreamGapError);
    expect((failure as StreamGapError).message).toBe(
      `gap at CATALOG seq ${first_seq + 5}: the stream went on at ${first_seq + 6}`,
    );
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => first_seq + i));
    await eventually(async () =>
      (await jsm.streams.info(name)).state.consumer_count === 0 ? true : undefined,
    );
  });

  it('fails its readers with SOURCE_FAILED when the thread ends, and starts a new one at the next read', async () => {
    const stop = new AbortController();
    const reading = thread.read(address('PAYMENTS'), 0, stop.signal, { items: 20, bytes: 64 * 1024 * 1024 });
    expect((await reading.next()).done).toBe(false);
    await thread.close();
    const failure = await (async () => {
      for (;;) if ((await reading.next()).done) return 'ended';
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SOURCE_FAILED' });
    expect((await onThread('PAYMENTS', 0, sequences.length)).map((m) => m.sequence)).toEqual(sequences);
  });
});
