import type { JetStreamClient } from '@nats-io/jetstream';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { type OutgoingEvent, publishEvent } from '../../shared/events/publish.ts';
import type { Streams } from '../../shared/events/streams.ts';

/** Publishes `events` at `rate` per second until `deadline`, acknowledgements asynchronous; returns how many. */
export async function publishAtRate(
  js: JetStreamClient,
  streams: Streams,
  events: Iterator<OutgoingEvent>,
  rate: number,
  deadline: number,
): Promise<number> {
  const started = Date.now();
  const inFlight: Promise<unknown>[] = [];
  let sent = 0;
  while (Date.now() < deadline) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const next = events.next();
      if (next.done) break;
      inFlight.push(publishEvent(js, streams, next.value));
    }
    if (inFlight.length > 5000) await Promise.all(inFlight.splice(0));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(inFlight);
  return sent;
}

export interface Probe {
  /** Publish to an answer that holds the write. */
  readonly totalMs: number;
  /** Publish to JetStream's acknowledgement (the sequence the request then waits for). */
  readonly publishMs: number;
  /** How long the API waited for the projection (what was left of its lag). */
  readonly waitedMs: number;
  readonly met: boolean;
}

/** One read-your-writes round: publish an order, then ask the API for it with its sequence. */
export async function probeReadYourWrites(
  js: JetStreamClient,
  streams: Streams,
  graphqlUrl: string,
  orderId: string,
): Promise<Probe> {
  const started = performance.now();
  const ack = await publishEvent(js, streams, {
    eventType: OrderPlaced,
    data: { orderId, customerId: 'probe', lines: [{ productId: 'p', quantity: 1, unitPriceCents: 1 }] },
    id: orderId,
    time: new Date().toISOString(),
    source: '/bench/probe',
  });
  const acked = performance.now();
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vista-min-positions': `ORDERS=${ack.seq}` },
    body: JSON.stringify({ query: `{ order(id: "${orderId}") { id } }` }),
  });
  const body = (await response.json()) as {
    data?: { order: { id: string } | null };
    extensions?: { consistency?: { met: boolean; waitedMs: number } };
  };
  return {
    totalMs: performance.now() - started,
    publishMs: acked - started,
    waitedMs: body.extensions?.consistency?.waitedMs ?? Number.NaN,
    met: Boolean(body.extensions?.consistency?.met) && body.data?.order?.id === orderId,
  };
}

export const percentile = (values: readonly number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;
