import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { AckedPublisher, ackedPublisherFor } from '../../shared/events/acked-publisher.ts';
import { STRUCTURED_CONTENT_TYPE } from '../../shared/events/nats-binding.ts';
import {
  type OutgoingEvent,
  publishOnce,
  retryablePublishError,
  wrongPredecessor,
} from '../../shared/events/publish.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

const placed = (orderId: string): OutgoingEvent => ({
  eventType: OrderPlaced,
  data: { orderId, customerId: 'c-1', lines: [{ productId: 'p-1', quantity: 1, unitPriceCents: 100 }] },
  id: `acked-${orderId}`,
  time: '2026-12-07T00:00:00.000Z',
  source: '/test',
});

/** What a caller sees of a publish that fails: the error's name, and whether it is retried. */
async function failure(publish: Promise<unknown>): Promise<{ name: string; retried: boolean }> {
  const error = await publish.then(
    () => {
      throw new Error('the publish was acknowledged');
    },
    (caught: unknown) => caught as Error,
  );
  return { name: error.name, retried: retryablePublishError(error) };
}

/** A client that hides its connection, so publishes go through `js.publish` as before. */
function wrapped(js: JetStreamClient): JetStreamClient {
  return { publish: js.publish.bind(js), getOptions: () => js.getOptions() } as unknown as JetStreamClient;
}

describe('JetStream publishes acknowledged on one subscription', () => {
  let env: TestEnvironment;
  let js: JetStreamClient;

  beforeAll(async () => {
    env = await testEnvironment();
    js = env.infrastructure.nats.js;
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('is what a client made by jetstream(nc) publishes through', () => {
    expect(ackedPublisherFor(js)).toBeInstanceOf(AckedPublisher);
    expect(ackedPublisherFor(js)).toBe(ackedPublisherFor(js));
    expect(ackedPublisherFor(wrapped(js))).toBeNull();
  });

  it('gives every one of many publishes in flight its own acknowledgement, and stores each once', async () => {
    const { streams } = env.infrastructure;
    const events = [...demoHistory({ events: 3000, seed: 91 })].map((e) => ({ ...e, id: `many-${e.id}` }));
    const acks = await Promise.all(events.map((event) => publishOnce(js, streams, event)));
    for (const [i, ack] of acks.entries())
      expect(ack.stream).toBe(streams.streamName(events[i]?.eventType.stream ?? ''));
    const keys = new Set(acks.map((ack) => `${ack.stream}:${ack.seq}`));
    expect(keys.size).toBe(events.length);
    expect(acks.every((ack) => ack.duplicate === false)).toBe(true);
    // What the broker stored under one of those sequences is that event, with its headers.
    const last = acks.length - 1;
    const stored = await env.infrastructure.nats.jsm.streams.getMessage(acks[last]?.stream ?? '', {
      seq: acks[last]?.seq ?? 0,
    });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(events[last]?.id);
    expect(stored?.header.get('Content-Type')).toBe(STRUCTURED_CONTENT_TYPE);
    expect(stored?.json<{ id: string }>().id).toBe(events[last]?.id);
    expect(ackedPublisherFor(js)?.waiting).toBe(0);
  });

  it('answers a re-publish of a stored id with the stored sequence, as js.publish does', async () => {
    const { streams } = env.infrastructure;
    const first = await publishOnce(js, streams, placed('dup'));
    const again = await publishOnce(js, streams, placed('dup'));
    const throughClient = await publishOnce(wrapped(js), streams, placed('dup'));
    expect(again).toMatchObject({ stream: first.stream, seq: first.seq, duplicate: true });
    expect(throughClient).toMatchObject({ stream: first.stream, seq: first.seq, duplicate: true });
  });

  it('refuses an unexpected predecessor with JetStream error 10070, as js.publish does', async () => {
    const { streams } = env.infrastructure;
    await publishOnce(js, streams, placed('chain-1'));
    for (const client of [js, wrapped(js)]) {
      const error = await publishOnce(
        client,
        streams,
        placed(`chain-x-${client === js}`),
        'not-the-last',
      ).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(JetStreamApiError);
      expect(wrongPredecessor(error)).toBe(true);
    }
    // The expected predecessor itself is accepted.
    const ack = await publishOnce(js, streams, placed('chain-2'), 'acked-chain-1');
    expect(ack.stream).toBe(streams.streamName('ORDERS'));
  });

  it('fails a subject no stream takes as js.publish does: JetStreamNotEnabled, not retried', async () => {
    const subject = `${env.infrastructure.streams.namespace}.nobody.listens.here`;
    const payload = new TextEncoder().encode('{}');
    const ours = await failure(
      (ackedPublisherFor(js) as AckedPublisher).publish(subject, payload, headers()),
    );
    const theirs = await failure(js.publish(subject, payload));
    expect(ours).toEqual({ name: 'JetStreamNotEnabled', retried: false });
    expect(ours).toEqual(theirs);
  });

  it('times a publish out when no acknowledgement comes, and fails those in flight when the connection closes', async () => {
    const connection = await connect({ servers: env.env.NATS_URL, noAsyncTraces: true });
    // A responder that never answers: no 503 from the server, and no acknowledgement either.
    const silent = `${env.infrastructure.streams.namespace}.silent`;
    connection.subscribe(silent, { callback: () => {} });
    await connection.flush();
    const publisher = new AckedPublisher(connection, 300);
    const payload = new TextEncoder().encode('{}');
    const started = performance.now();
    expect(await failure(publisher.publish(silent, payload, headers()))).toEqual({
      name: 'TimeoutError',
      retried: true,
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(publisher.waiting).toBe(0);

    const inFlight = failure(publisher.publish(silent, payload, headers()));
    expect(publisher.waiting).toBe(1);
    await connection.close();
    expect(await inFlight).toEqual({ name: 'ClosedConnectionError', retried: false });
    expect(() => publisher.publish(silent, payload, headers())).toThrow(/closed/i);
    expect(publisher.waiting).toBe(0);
  });
});
