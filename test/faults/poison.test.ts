import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { type OutgoingEvent, publishEvent, toEnvelope } from '../../shared/events/publish.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { runProjections } from '../support/running.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

const encoder = new TextEncoder();

/** One kind of bad message: how to make it from a good event, and the reason it must be recorded with. */
interface Poison {
  readonly kind: string;
  readonly code: string | 'DUPLICATE';
  make(good: OutgoingEvent, n: number): { subject: string; payload: Uint8Array; msgID?: string };
}

const envelopeOf = (good: OutgoingEvent, n: number, change: (e: Record<string, unknown>) => void) => {
  const envelope = { ...toEnvelope(good), id: `poison-${n}` } as Record<string, unknown>;
  change(envelope);
  return encoder.encode(JSON.stringify(envelope));
};

const POISONS: readonly Poison[] = [
  {
    kind: 'invalid JSON',
    code: 'INVALID_JSON',
    make: (_, n) => ({
      subject: `orders.order_placed.bad${n}`,
      payload: encoder.encode('{"specversion": "1.0", "id": '),
    }),
  },
  {
    kind: 'unknown type',
    code: 'UNKNOWN_TYPE',
    make: (g, n) => ({
      subject: `orders.order_teleported.bad${n}`,
      payload: envelopeOf(g, n, (e) => {
        e.type = 'orders.order_teleported.v1';
      }),
    }),
  },
  {
    kind: 'missing field',
    code: 'INVALID_DATA',
    make: (g, n) => ({
      subject: `orders.order_placed.bad${n}`,
      payload: envelopeOf(g, n, (e) => {
        e.type = 'orders.order_placed.v1';
        e.subject = `bad${n}`;
        e.data = { orderId: `bad${n}`, lines: [] };
      }),
    }),
  },
  {
    kind: 'wrong field type',
    code: 'INVALID_DATA',
    make: (g, n) => ({
      subject: `payments.payment_captured.bad${n}`,
      payload: envelopeOf(g, n, (e) => {
        e.type = 'payments.payment_captured.v1';
        e.subject = `bad${n}`;
        e.data = { paymentId: `bad${n}`, orderId: 'o', amountCents: 'a lot' };
      }),
    }),
  },
  {
    kind: 'oversize field',
    code: 'INVALID_DATA',
    make: (g, n) => ({
      subject: `catalog.product_added.bad${n}`,
      payload: envelopeOf(g, n, (e) => {
        e.type = 'catalog.product_added.v2';
        e.subject = `bad${n}`;
        e.data = {
          productId: `bad${n}`,
          sku: 's',
          name: 'n',
          description: 'x'.repeat(50_000),
          category: 'c',
          priceCents: 1,
          tags: [],
        };
      }),
    }),
  },
  {
    kind: 'duplicate id',
    code: 'DUPLICATE',
    // The same event again with its Nats-Msg-Id: JetStream drops it inside the duplicate window.
    make: (g) => ({ subject: '', payload: new Uint8Array(), msgID: g.id }),
  },
];

describe('poison: about 1% bad messages among good ones', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  const good = [...demoHistory({ events: scaled(10_000, 100_000), seed: 17 })];
  const tried: { kind: string; code: string; stream: string }[] = [];

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams } = env.infrastructure;
    // One bad message after roughly every hundredth good one, cycling through the kinds.
    let n = 0;
    for (let i = 0; i < good.length; i++) {
      const event = good[i] as OutgoingEvent;
      await publishEvent(nats.js, streams, event);
      if (i % 100 !== 50) continue;
      const poison = POISONS[n % POISONS.length] as Poison;
      const bad = poison.make(event, n++);
      if (poison.code === 'DUPLICATE') {
        const ack = await publishEvent(nats.js, streams, event);
        expect(ack.duplicate).toBe(true);
      } else {
        const subject = streams.namespace ? `${streams.namespace}.${bad.subject}` : bad.subject;
        await nats.js.publish(subject, bad.payload, { msgID: `poison-${n}` });
        tried.push({
          kind: poison.kind,
          code: poison.code,
          stream: subject.split('.').at(-3)?.toUpperCase() ?? '',
        });
      }
    }
    projections = runProjections(env);
    await waitForLiveViews(env, 8, 300_000);
  });

  afterAll(async () => {
    await projections?.stop();
    await env?.cleanup();
  });

  it('tried every kind, about 1% of the messages', () => {
    expect(new Set(tried.map((t) => t.kind)).size).toBe(POISONS.length - 1);
    expect(tried.length).toBeGreaterThanOrEqual(
      Math.floor(good.length / 100 / POISONS.length) * (POISONS.length - 1),
    );
  });

  it('the views equal the model over the good events alone', async () => {
    await expectViewsToMatchModel(env, good);
  });

  it('every bad message is a dead letter of each projection reading its stream, with its reason', async () => {
    const readers = new Map(
      shopApp.projections.map((p) => [p.name, new Set<string>(p.sources.map((s) => s.stream))]),
    );
    const { rows } = await env.infrastructure.pool.query<{
      projection: string;
      error_code: string;
      count: number;
    }>(
      'SELECT projection, error_code, count(*)::int AS count FROM vista_dead_letters GROUP BY 1, 2 ORDER BY 1, 2',
    );
    const expected: { projection: string; error_code: string; count: number }[] = [];
    for (const [projection, streams] of readers) {
      const counts = new Map<string, number>();
      for (const t of tried) if (streams.has(t.stream)) counts.set(t.code, (counts.get(t.code) ?? 0) + 1);
      for (const [code, count] of counts) expected.push({ projection, error_code: code, count });
    }
    expected.sort(
      (a, b) => a.projection.localeCompare(b.projection) || a.error_code.localeCompare(b.error_code),
    );
    expect(rows).toEqual(expected);
  });
});
