import { Writable } from 'node:stream';
import { DeliverPolicy } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryFellBack,
  HeaderBlock,
  headersFellBack,
  type RawMessage,
  readOrdered,
} from '../../projectors/engine/internal.ts';
import { PullBudget } from '../../shared/clients/pull-budget.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { publishWithHeaderBlock } from '../support/raw-publish.ts';

const MIB = 1024 * 1024;

describe('readOrdered', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  /** Publishes `count` raw messages of `bytes` each on a stream's subjects; resolves with their sequences. */
  async function publish(
    stream: 'CATALOG' | 'ORDERS' | 'PAYMENTS',
    count: number,
    bytes: number,
  ): Promise<number[]> {
    const { nats, streams } = env.infrastructure;
    const subject = streams.subjects(stream).replace('>', 'raw.test');
    const sequences: number[] = [];
    for (let i = 0; i < count; i++)
      sequences.push((await nats.js.publish(subject, new Uint8Array(bytes))).seq);
    return sequences;
  }

  /**
   * Reads runs of messages until `count` came (calling `during` after each message); the reader
   * goes on. A run holds what arrived together, so more than `count` may come.
   */
  async function read(
    messages: AsyncGenerator<RawMessage[]>,
    count: number,
    during: (read: number) => void = () => undefined,
  ): Promise<RawMessage[]> {
    const seen: RawMessage[] = [];
    while (seen.length < count) {
      const next = await messages.next();
      if (next.done) break;
      for (const message of next.value) {
        seen.push(message);
        during(seen.length);
      }
    }
    return seen;
  }

  /** A pino logger whose lines land in `lines`. */
  function collectingLogger(lines: { msg: string; reason: string }[]) {
    return pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
  }

  it('ends on an abort that comes while its consumer is being set up, on a quiet stream', async () => {
    const { nats, streams, pullBudget } = env.infrastructure;
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'CATALOG' }, 0, abort.signal, {
      budget: pullBudget,
    });
    const first = messages.next(); // starts setting up the consumer
    abort.abort();
    // A quiet stream sends nothing that could end the wait: the abort alone must.
    const outcome = await Promise.race([
      first.then((r) => (r.done ? 'ended' : 'message')),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
    ]);
    expect(outcome).toBe('ended');
  });

  it("reads messages of the server's maximum size in order, within its share of the pull budget", async () => {
    const { nats, streams } = env.infrastructure;
    const maxPayload = nats.connection.info?.max_payload ?? MIB;
    const sequences = await publish('PAYMENTS', 30, maxPayload - 1024);
    // The smallest budget there is: each of its two readers gets two of the largest messages.
    const budget = new PullBudget(4 * MIB, () => maxPayload);
    const other = budget.join();
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'PAYMENTS' }, 0, abort.signal, { budget });
    const seen = await read(messages, sequences.length);
    abort.abort();
    await messages.return(undefined);
    other.leave();
    expect(seen.map((m) => m.sequence)).toEqual(sequences);
    expect(seen.every((m) => m.payload.byteLength === maxPayload - 1024)).toBe(true);
    expect(budget.readers).toBe(0);
  });

  it('goes on after the last message it handed on when told to start a new consumer: nothing skipped, nothing twice', async () => {
    const { nats, streams } = env.infrastructure;
    // More than a request brings at once: the reader hands on runs of what arrived together, and
    // each restart below must leave messages still to read, for the reader to act on it.
    const sequences = await publish('CATALOG', 2000, 200);
    const budget = new PullBudget(32 * MIB, () => MIB);
    const lines: { msg: string; reason: string }[] = [];
    const log = collectingLogger(lines);
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'CATALOG' }, 0, abort.signal, { budget, log });
    const restarts = () => lines.filter((l) => l.msg === 'stream reader starts a new consumer').length;
    let asked = 0;
    const seen = await read(messages, sequences.length, (count) => {
      // As after a reconnect: what the old consumer had in flight never arrives. Each restart
      // is asked for in a life of its own: once the one before has started its new consumer
      // (messages the old one had queued may still be handed on after the request), the second
      // at the first run of messages of that new life.
      const due = [100, 101, 333][asked];
      if (due !== undefined && count >= due && restarts() === asked && count < sequences.length) {
        asked++;
        budget.restartAll('reconnected');
      }
    });
    abort.abort();
    await messages.return(undefined);
    expect(seen.map((m) => m.sequence)).toEqual(sequences);
    expect(lines.filter((l) => l.msg === 'stream reader starts a new consumer').map((l) => l.reason)).toEqual(
      ['reconnected', 'reconnected', 'reconnected'],
    );
  });

  it('hands on each message of a live tail at once when a pull runs out of bytes', async () => {
    const { nats, streams } = env.infrastructure;
    const subject = streams.subjects('PAYMENTS').replace('>', 'raw.tail');
    // A pull asks for the reader's whole share, 4 MiB: it brings three messages of the largest
    // size, and the server ends it at the fourth (409 Message Size Exceeds MaxBytes), which must
    // be asked for again at once, with nothing else on its way.
    const maxPayload = nats.connection.info?.max_payload ?? MIB;
    const budget = new PullBudget(4 * MIB, () => maxPayload);
    const abort = new AbortController();
    const { last_seq } = (await nats.jsm.streams.info(streams.streamName('PAYMENTS'))).state;
    const messages = readOrdered(nats, streams, { stream: 'PAYMENTS' }, last_seq, abort.signal, {
      budget,
    });
    const latencies: number[] = [];
    for (const bytes of [...Array<number>(150).fill(10), ...Array<number>(10).fill(maxPayload - 1024)]) {
      const sent = performance.now();
      const { seq } = await nats.js.publish(subject, new Uint8Array(bytes));
      const next = await messages.next();
      latencies.push(performance.now() - sent);
      expect(next.done ? undefined : next.value.map((m) => m.sequence)).toEqual([seq]);
    }
    abort.abort();
    await messages.return(undefined);
    // Waiting for heartbeats to go missing (3 s here) would show: each of these messages was
    // alone in the stream, so the reader would have waited that long for it.
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });

  it('starts a new consumer after the last message it handed on when the server deletes its consumer', async () => {
    const { nats, streams } = env.infrastructure;
    const stream = streams.streamName('ORDERS');
    const first = await publish('ORDERS', 10, 100);
    const lines: { msg: string; reason: string }[] = [];
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'ORDERS' }, 0, abort.signal, {
      budget: new PullBudget(32 * MIB, () => MIB),
      log: collectingLogger(lines),
    });
    const seen = await read(messages, first.length);
    // Its pull waits at the server for the next message when the consumer goes.
    const [consumer] = await nats.jsm.consumers.list(stream).next();
    expect(consumer).toBeDefined();
    await nats.jsm.consumers.delete(stream, consumer?.name as string);
    const second = await publish('ORDERS', 10, 100);
    seen.push(...(await read(messages, second.length)));
    abort.abort();
    await messages.return(undefined);
    expect(seen.map((m) => m.sequence)).toEqual([...first, ...second]);
    expect(lines.map((l) => l.reason)).toEqual(['409 Consumer Deleted']);
  });

  it('asks the server for a thousand small messages per pull request', async () => {
    const { nats, streams } = env.infrastructure;
    const stream = streams.streamName('CATALOG');
    const { last_seq } = (await nats.jsm.streams.info(stream)).state;
    const sequences = await publish('CATALOG', 2500, 100);
    // The requests as the server gets them: on their subject, from any connection.
    const requests: { batch: number; max_bytes: number }[] = [];
    const watch = nats.connection.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.>`, {
      callback: (_error, message) => {
        requests.push(message.json());
      },
    });
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'CATALOG' }, last_seq, abort.signal, {
      budget: new PullBudget(32 * MIB, () => MIB),
    });
    const seen = await read(messages, sequences.length);
    abort.abort();
    await messages.return(undefined);
    await nats.connection.flush();
    watch.unsubscribe();
    expect(seen.map((m) => m.sequence)).toEqual(sequences);
    // 2,500 messages, the last request still open at the end: 3 requests. nats.js's own
    // `consume` sent one every 80 messages, 31 for these.
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.length).toBeLessThanOrEqual(4);
    expect(requests.every((r) => r.batch === 1000 && r.max_bytes === 32 * MIB)).toBe(true);
  });

  it("reads each message's headers as nats.js does, from its raw block, and keeps those nats.js would throw on", async () => {
    const { nats, streams } = env.infrastructure;
    const name = streams.streamName('PAYMENTS');
    const subject = streams.subjects('PAYMENTS').replace('>', 'raw.headers');
    const { last_seq } = (await nats.jsm.streams.info(name)).state;
    const sets: [string, string][][] = [
      [],
      [['Nats-Msg-Id', 'm-1']],
      [
        ['Content-Type', 'application/cloudevents+json; charset=utf-8'],
        ['Traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`],
      ],
      [
        ['ce-type', 'orders.order_placed.v1'],
        ['X-Twice', 'a'],
        ['X-Twice', ' b '],
        ['x-twice', 'c:d'],
        ['ce-subject', 'caf%C3%A9 \u00e9 😀'],
        ['Empty', ''],
      ],
    ];
    for (const set of sets) {
      const headers = natsHeaders();
      for (const [key, value] of set) headers.append(key, value);
      await nats.js.publish(subject, new TextEncoder().encode('{}'), set.length ? { headers } : {});
    }
    // A foreign client's header block that nats.js's own parser throws on (a space in a name):
    // the reader must hand it on for the binding to judge, not stop at it.
    await publishWithHeaderBlock(
      env.config.NATS_URL,
      subject,
      'NATS/1.0\r\nBad Name: x\r\nce-id: 1\r\n\r\n',
      '{}',
    );

    // What nats.js makes of the same messages, read with its own consumer.
    const consumer = await nats.js.consumers.get(name, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: last_seq + 1,
    });
    const theirs: ([string, string[]][] | undefined)[] = [];
    const iterator = await consumer.consume();
    for await (const m of iterator) {
      theirs.push(m.headers ? [...m.headers].map(([key, values]) => [key, [...values]]) : undefined);
      if (theirs.length === sets.length) break;
    }
    await iterator.close();

    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'PAYMENTS' }, last_seq, abort.signal, {
      budget: env.infrastructure.pullBudget,
    });
    const ours = await read(messages, sets.length + 1);
    abort.abort();
    await messages.return(undefined);
    expect(headersFellBack()).toBe(false);
    // Each message's ack subject was read from nats.js's raw bytes too.
    expect(deliveryFellBack()).toBe(false);
    // Headers come as their block's text, read when iterated.
    const listed = (headers: Iterable<[string, string[]]> | undefined) =>
      headers ? [...headers] : undefined;
    expect(ours[1]?.headers).toBeInstanceOf(HeaderBlock);
    expect(ours.slice(0, sets.length).map((m) => listed(m.headers))).toEqual(theirs);
    expect(theirs[3]).toContainEqual(['X-Twice', ['a', 'b']]);
    expect(ours[2]?.traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    expect(listed(ours[sets.length]?.headers)).toEqual([
      ['Bad Name', ['x']],
      ['ce-id', ['1']],
    ]);
  });

  it('keeps its consumer through an idle stretch longer than a pull lives: heartbeats, then a new pull', async () => {
    const { nats, streams } = env.infrastructure;
    const stream = streams.streamName('PAYMENTS');
    const subject = streams.subjects('PAYMENTS').replace('>', 'raw.idle');
    const { last_seq } = (await nats.jsm.streams.info(stream)).state;
    const requests: string[] = [];
    const watch = nats.connection.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.>`, {
      callback: (_error, message) => {
        requests.push(message.subject);
      },
    });
    const lines: { msg: string; reason: string }[] = [];
    const abort = new AbortController();
    const messages = readOrdered(nats, streams, { stream: 'PAYMENTS' }, last_seq, abort.signal, {
      budget: new PullBudget(32 * MIB, () => MIB),
      log: collectingLogger(lines),
    });
    const next = messages.next();
    // A pull lives 5 s and the server says every second that it still waits: 7 s of nothing
    // outlive one pull, and three missed heartbeats would have replaced the consumer.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const sent = performance.now();
    const { seq } = await nats.js.publish(subject, new Uint8Array(10));
    const first = await next;
    const latency = performance.now() - sent;
    abort.abort();
    await messages.return(undefined);
    await nats.connection.flush();
    watch.unsubscribe();
    expect(first.done ? undefined : first.value.map((m) => m.sequence)).toEqual([seq]);
    expect(latency).toBeLessThan(1000);
    expect(lines.filter((l) => l.msg === 'stream reader starts a new consumer')).toEqual([]);
    // The first pull expired (408) and the next was asked for at once; both from one consumer.
    expect(requests.length).toBe(2);
    expect(new Set(requests).size).toBe(1);
  });

  it('gives its consumer a filter only when the source has one: nats-server 2.9 scans the stream to count a filtered consumer', async () => {
    const { nats, streams, pullBudget } = env.infrastructure;
    // After what the other tests published, so that they find the stream as they expect.
    const after = (await nats.jsm.streams.info(streams.streamName('PAYMENTS'))).state.last_seq;
    await publish('PAYMENTS', 1, 10);
    const subject = streams.subjects('PAYMENTS').replace('>', 'raw.test');
    const filter = streams.namespace ? subject.slice(streams.namespace.length + 1) : subject;
    /** The stream's consumers, by name, with their filters. */
    const consumers = async () => {
      const found = new Map<string, string | undefined>();
      for await (const info of nats.jsm.consumers.list(streams.streamName('PAYMENTS')))
        found.set(info.name, info.config.filter_subject || undefined);
      return found;
    };
    for (const [source, expected] of [
      [{ stream: 'PAYMENTS' }, undefined],
      [{ stream: 'PAYMENTS', filter }, subject],
    ] as const) {
      const before = await consumers();
      const abort = new AbortController();
      const messages = readOrdered(nats, streams, source, after, abort.signal, { budget: pullBudget });
      expect(await read(messages, 1)).toHaveLength(1);
      const ours = [...(await consumers())].filter(([name]) => !before.has(name));
      expect(ours.map(([, filtered]) => filtered)).toEqual([expected]);
      abort.abort();
      await messages.return(undefined);
    }
  });
});
