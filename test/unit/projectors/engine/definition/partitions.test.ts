import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { customerStats } from '../../../../../examples/shop/views/customer-stats.ts';
import { orders } from '../../../../../examples/shop/views/orders.ts';
import { products } from '../../../../../examples/shop/views/products.ts';
import {
  DefinitionError,
  defineDocumentProjection,
  defineSqlProjection,
} from '../../../../../projectors/engine/index.ts';
import {
  AggregateKeyError,
  type AnyEvent,
  type DocumentProjection,
  PartitionKeyError,
  partitionOf,
  partitionScope,
  type SqlProjection,
  workloadOf,
} from '../../../../../projectors/engine/internal.ts';
import { foldDocuments } from '../../../../support/given-when-then.ts';
import { event, type ShopEvent } from '../../../../support/shop/events.ts';

describe('partitionOf: FNV-1a 32 of the key, modulo the count', () => {
  it('is stable: the same keys land in the same partitions in every process and release', () => {
    // FNV-1a 32 of "a" is 0xe40c292c, of "foobar" 0xbf9cf968 (the published test vectors).
    expect(partitionOf('a', 256)).toBe(0x2c);
    expect(partitionOf('foobar', 256)).toBe(0x68);
    expect(partitionOf('foobar', 7)).toBe(0xbf9cf968 % 7);
    // UTF-8 bytes, not UTF-16 units: "é" is 0xc3 0xa9.
    const fnv = (bytes: number[]) => bytes.reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);
    expect(partitionOf('é', 2 ** 31)).toBe(fnv([0xc3, 0xa9]) % 2 ** 31);
  });

  it('puts everything in partition 0 when there is one', () => {
    fc.assert(fc.property(fc.string(), (key) => partitionOf(key, 1) === 0));
  });

  it('always gives a partition within range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 256 }), (key, n) => {
        const p = partitionOf(key, n);
        return Number.isInteger(p) && p >= 0 && p < n;
      }),
    );
  });

  it('spreads ids evenly: 20,000 order ids over 8 partitions, each within 5% of its share', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 20_000; i++)
      counts[partitionOf(`o-${i}`, 8)] = (counts[partitionOf(`o-${i}`, 8)] ?? 0) + 1;
    for (const count of counts) expect(Math.abs(count - 2500)).toBeLessThan(125);
  });
});

describe('partitioned definitions', () => {
  const base = {
    name: 'stock_by_product',
    version: 1,
    sources: [{ stream: 'CATALOG' as const }],
    handles: ['catalog.stock_adjusted.v1' as const],
    tables: (t: (name: string) => string) => [`CREATE TABLE ${t('s')} (id text)`],
    view: (t: (name: string) => string) => `SELECT * FROM ${t('s')}`,
    apply: async () => undefined,
  };

  it.each([0, 257, 1.5, -1])('refuses %s partitions, naming the view', (partitions) => {
    expect(() =>
      defineSqlProjection(shop, { ...base, partitions, partitionKey: (e) => e.data.productId }),
    ).toThrow(/invalid projection stock_by_product:\n {2}partitions: an integer from 1 to 256/);
  });

  it('refuses a SQL projection split without partitionKey, saying why (a view like customer_stats cannot be split)', () => {
    const attempt = () => defineSqlProjection(shop, { ...base, partitions: 4 });
    expect(attempt).toThrow(DefinitionError);
    expect(attempt).toThrow(/needs partitionKey\(event\).*customer_stats: a payment names only its order/s);
  });

  it('refuses customer_stats with partitions: its rows are keyed by customers, its payments name orders', () => {
    const { kind: _kind, ...definition } = customerStats;
    expect(() => defineSqlProjection(shop, { ...definition, partitions: 8 } as never)).toThrow(
      /partitionKey/,
    );
  });

  it('accepts 1 to 256 partitions on a document projection', () => {
    const { kind: _kind, ...definition } = orders;
    expect(defineDocumentProjection(shop, { ...definition, partitions: 256 } as never).partitions).toBe(256);
  });

  it('refuses keyIsAggregateId where no partition may pass over another’s messages, saying why', () => {
    const { kind: _kind, ...definition } = products;
    expect(() =>
      defineDocumentProjection(shop, {
        ...definition,
        sources: [{ stream: 'CATALOG', keyIsAggregateId: true }, { stream: 'ORDERS' }],
      } as never),
    ).toThrow(
      /keyIsAggregateId on CATALOG: a projection with a lookup folds every event's lookup record in every partition/,
    );
    expect(() =>
      defineSqlProjection(shop, { ...base, sources: [{ stream: 'CATALOG', keyIsAggregateId: true }] }),
    ).toThrow(
      /keyIsAggregateId on CATALOG: a SQL projection says it of its partitionKey\(event\), which it lacks/,
    );
    expect(
      defineSqlProjection(shop, {
        ...base,
        sources: [{ stream: 'CATALOG', keyIsAggregateId: true }],
        partitionKey: (e) => e.data.productId,
      }).sources,
    ).toEqual([{ stream: 'CATALOG', keyIsAggregateId: true }]);
  });

  it('names the workload by projection, version and partition count, whatever the order', () => {
    expect(workloadOf([{ ...orders, partitions: 4 }, products])).toBe('orders@1x4,products@1x1');
    expect(workloadOf([products, { ...orders, partitions: 4 }])).toBe('orders@1x4,products@1x1');
  });
});

/** Decoded shop events with per-stream sequences, in the order given. */
function history(): ShopEvent[] {
  const perStream = new Map<string, number>();
  const at = (type: ShopEvent['type'], data: unknown) => {
    const stream = type.split('.')[0] as string;
    const sequence = (perStream.get(stream) ?? 0) + 1;
    perStream.set(stream, sequence);
    return event(type, data as never, { sequence }) as ShopEvent;
  };
  const events: ShopEvent[] = [];
  for (let p = 0; p < 12; p++)
    events.push(
      at('catalog.product_added.v2', {
        productId: `p${p}`,
        sku: `s${p}`,
        name: `n${p}`,
        description: '',
        category: 'c',
        priceCents: 100,
        tags: [],
      }),
    );
  for (let o = 0; o < 40; o++) {
    const lines = [0, 1, 2].map((i) => ({
      productId: `p${(o * 5 + i * 7) % 12}`,
      quantity: 1 + i,
      unitPriceCents: 100,
    }));
    events.push(at('orders.order_placed.v1', { orderId: `o${o}`, customerId: `c${o % 3}`, lines }));
    if (o % 3 === 0)
      events.push(
        at('payments.payment_captured.v1', { paymentId: `y${o}`, orderId: `o${o}`, amountCents: 300 }),
      );
    if (o % 4 === 0) events.push(at('orders.order_cancelled.v1', { orderId: `o${o}`, reason: 'r' }));
  }
  return events;
}

describe('partitionScope', () => {
  const events = history();

  it.each([
    ['orders', orders],
    ['products (a lookup keyed by order, documents by product)', products],
  ] as const)(
    '%s: the partitions folded apart hold exactly what the whole projection folds',
    (_name, view) => {
      const projection = { ...view, partitions: 4 } as unknown as DocumentProjection<
        object,
        AnyEvent,
        unknown
      >;
      // As the engine's decoding does: a projection is handed the events it handles.
      const handled = new Set<string>(view.handles);
      const events = history().filter((e) => handled.has(e.type));
      const whole = foldDocuments(view as unknown as DocumentProjection<object, AnyEvent, unknown>, [events]);
      const parts = [0, 1, 2, 3].map((p) =>
        foldDocuments(partitionScope(projection, p) as DocumentProjection<object, AnyEvent, unknown>, [
          events,
        ]),
      );
      // Each key in one partition only, and together all of them with the same documents.
      const keys = parts.flatMap((part) => Object.keys(part));
      expect(new Set(keys).size).toBe(keys.length);
      expect(Object.assign({}, ...parts)).toEqual(whole);
      for (const [p, part] of parts.entries())
        for (const key of Object.keys(part)) expect(partitionOf(key, 4)).toBe(p);
      expect(parts.filter((part) => Object.keys(part).length > 0)).toHaveLength(4);
    },
  );

  it('leaves a projection of one partition as it is', () => {
    const plain = { ...orders, sources: [{ stream: 'ORDERS' }, { stream: 'PAYMENTS' }] };
    expect(partitionScope(plain as never, 0)).toBe(plain);
  });

  it.each([1, 2])(
    'refuses, with %s partition(s), an event whose key is not the aggregate id its source declares it to be',
    (partitions) => {
      // orders declares keyIsAggregateId on ORDERS: routed by its subject, such an event would
      // be folded by another partition than its key's. Payments are keyed by their order: fine.
      const crossed = { ...orders, partitions, key: (e: AnyEvent) => `${e.subject}-x` };
      const [placed] = events.filter((e) => e.type === 'orders.order_placed.v1');
      const [payment] = events.filter((e) => e.type === 'payments.payment_captured.v1');
      const owners = [...Array(partitions).keys()].map(
        (p) => partitionScope(crossed as never, p) as DocumentProjection<object, AnyEvent, unknown>,
      );
      for (const scoped of owners) {
        expect(() => scoped.key(placed as AnyEvent, null)).toThrow(AggregateKeyError);
        expect(() => scoped.key(placed as AnyEvent, null)).toThrow(
          /key o0-x of orders.order_placed.v1 at ORDERS #\d+ is not its aggregate id o0, though the source ORDERS declares keyIsAggregateId/,
        );
      }
      const keys = owners.flatMap((scoped) => scoped.key(payment as AnyEvent, null));
      expect(keys).toEqual([`${(payment as AnyEvent).subject}-x`]);
    },
  );

  it('an event whose key is missing fails in every partition, to be dead-lettered, never split', () => {
    const keyless = { ...orders, partitions: 2, key: () => undefined } as unknown as DocumentProjection<
      object,
      AnyEvent,
      unknown
    >;
    const [placed] = events.filter((e) => e.type === 'orders.order_placed.v1');
    for (const p of [0, 1]) {
      const scoped = partitionScope(keyless, p) as DocumentProjection<object, AnyEvent, unknown>;
      expect(() => scoped.key(placed as AnyEvent, null)).toThrow(PartitionKeyError);
      expect(() => scoped.key(placed as AnyEvent, null)).toThrow(
        /partition key of orders.order_placed.v1 at ORDERS #\d+ is missing/,
      );
    }
  });

  it('a SQL projection hands each partition the events of its keys, each event to one partition', async () => {
    const seen: AnyEvent[][] = [[], [], []];
    const placed = events.filter((e) => e.type === 'orders.order_placed.v1');
    const sql = {
      kind: 'sql',
      name: 'by_order',
      version: 1,
      partitions: 3,
      sources: [{ stream: 'ORDERS' }],
      handles: ['orders.order_placed.v1'],
      tables: () => [],
      view: () => '',
      partitionKey: (e: AnyEvent) => (e.data as { orderId: string }).orderId,
      apply: async () => undefined,
    } as unknown as SqlProjection<AnyEvent>;
    for (const p of [0, 1, 2]) {
      const scoped = partitionScope({ ...sql, apply: async (batch) => void seen[p]?.push(...batch) }, p);
      await (scoped as SqlProjection<AnyEvent>).apply(placed, { query: async () => [], table: (n) => n });
    }
    expect(seen.flat()).toHaveLength(placed.length);
    for (const [p, batch] of seen.entries())
      for (const e of batch)
        expect(partitionOf((e.data as { orderId?: string; productId?: string }).orderId ?? '', 3)).toBe(p);
  });
});
