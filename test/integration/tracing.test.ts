import { SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';

describe('tracing, publish → view → answer', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    // This file's worker only: every span of publisher, projector and API lands in `exporter`.
    trace.setGlobalTracerProvider(provider);
    env = await testEnvironment();
    const orders = env.app.projections.find((p) => p.name === 'orders');
    if (!orders) throw new Error('the shop has no orders projection');
    projections = runProjections(env, [orders]);
    api = await startApi(env);
  });

  afterAll(async () => {
    await api?.close();
    await projections?.stop();
    await env?.cleanup();
    await provider.shutdown();
    trace.disable();
  });

  it('follows one event from its publish through the batch that projected it to the answer that shows it', async () => {
    const ack = await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      data: {
        orderId: 'o-traced',
        customerId: 'c-1',
        lines: [{ productId: 'p-1', quantity: 2, unitPriceCents: 500 }],
      },
      id: 'traced-1',
      time: '2026-03-01T10:00:00.000Z',
      source: '/test',
    });
    const { body } = await api.query<{ order: { id: string } | null }>(
      'query TracedOrder { order(id: "o-traced") { id } }',
      {},
      { 'x-vista-min-positions': `${ack.stream}=${ack.seq}` },
    );
    expect(body.data?.order?.id).toBe('o-traced');

    const spans = () => exporter.getFinishedSpans();
    const producer = spans().find(
      (s) =>
        s.name === 'publish orders.order_placed.v1' && s.attributes['cloudevents.event_id'] === 'traced-1',
    );
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(producer?.attributes['vista.sequence']).toBe(ack.seq);
    const producerContext = producer?.spanContext();

    // The batch that applied it links to the producer's span (it is not its child).
    const batch = await eventually(
      async () =>
        spans().find(
          (s) =>
            s.name === 'project orders' &&
            s.links.some(
              (l) =>
                l.context.spanId === producerContext?.spanId && l.context.traceId === producerContext.traceId,
            ),
        ),
      10_000,
      'the batch span linking to the producer',
    );
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.attributes['vista.projection']).toBe('orders');
    expect(batch.attributes['vista.generation']).toBe(1);
    const streams = batch.attributes['vista.streams'] as string[];
    const index = streams.indexOf('ORDERS');
    expect((batch.attributes['vista.sequence.first'] as number[])[index]).toBeLessThanOrEqual(ack.seq);
    expect((batch.attributes['vista.sequence.last'] as number[])[index]).toBeGreaterThanOrEqual(ack.seq);
    const before = JSON.parse(batch.attributes['vista.checkpoint.before'] as string);
    const after = JSON.parse(batch.attributes['vista.checkpoint.after'] as string);
    expect(before.ORDERS ?? 0).toBeLessThan(ack.seq);
    expect(after.ORDERS).toBeGreaterThanOrEqual(ack.seq);

    // The answer's span records positions that include the event.
    const answer = await eventually(
      async () => spans().find((s) => s.name === 'graphql.query TracedOrder'),
      10_000,
      'the API span',
    );
    const positions = JSON.parse(answer.attributes['vista.positions'] as string);
    expect(positions.orders.ORDERS).toBeGreaterThanOrEqual(ack.seq);
    expect(answer.attributes['vista.consistency.met']).toBe(true);
    // The answer shows the event, so it ended after the batch's commit, which lies inside the
    // batch span; not necessarily after the span's own end, recorded once the commit's promise
    // has come back to the runner (on a busy core the API may answer in between).
    expect(answer.endTime[0] * 1e3 + answer.endTime[1] / 1e6).toBeGreaterThanOrEqual(
      batch.startTime[0] * 1e3 + batch.startTime[1] / 1e6,
    );
  });
});
