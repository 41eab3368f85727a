import { describe, expect, it, vi } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import type { CheckpointMove } from '../../../../../projectors/engine/commit/unit-of-work.ts';
import { defineDocumentProjection } from '../../../../../projectors/engine/definition/define.ts';
import type { DocumentStore } from '../../../../../projectors/engine/pipeline/document-store.ts';
import type { Stored } from '../../../../../projectors/engine/pipeline/fold.ts';
import { documentWriter, type UnitOfWork } from '../../../../../projectors/engine/pipeline/writer.ts';
import { DocumentRefusedError } from '../../../../../projectors/engine/poison/classification.ts';
import { postgresTable } from '../../../../../projectors/engine/stores/postgres/target.ts';
import type { AnyEvent } from '../../../../../shared/events/event-type.ts';
import { event } from '../../../../support/shop/events.ts';

interface Stock {
  total: number;
}

const stock = defineDocumentProjection(shop, {
  name: 'stock',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.stock_adjusted.v1'],
  key: (e) => e.data.productId,
  evolve: (doc: Stock | null, e): Stock => ({ total: (doc?.total ?? 0) + e.data.delta }),
  target: postgresTable<Stock>({ columns: { total: 'bigint' } }),
});

let sequence = 0;
const adjust = (productId: string, delta: number): AnyEvent =>
  event(
    'catalog.stock_adjusted.v1',
    { productId, delta, reason: 'count' },
    { sequence: ++sequence },
  ) as AnyEvent;
const move: CheckpointMove = { expected: {}, next: {}, deadLetters: [], resolvedDeadLetters: [] };

/**
 * The writer's store, in memory: what it holds, which keys each load asked for, and commits
 * that wait for the test to let them finish (or fail, or refuse documents).
 */
function memorySink<L = never>(initial: Record<string, Stock> = {}, records: Record<string, L> = {}) {
  const rows = new Map<string, Stock>(Object.entries(initial));
  const loads: string[][] = [];
  const pending: { finish: (refused?: string[]) => void; fail: (error: Error) => void }[] = [];
  /** While set, loads answer from what the store held when they were asked, once it resolves. */
  const gate: { until?: Promise<void> } = {};
  const sink: DocumentStore<Stock, L> = {
    keepsPositions: false,
    isEmpty: async () => rows.size === 0,
    async load(keys) {
      loads.push([...keys]);
      const found = new Map<string, Stored<Stock>>();
      for (const key of keys) {
        const doc = rows.get(key);
        if (doc) found.set(key, { doc, positions: {} });
      }
      await gate.until;
      return found;
    },
    lookups: {
      load: async (keys) =>
        new Map(keys.filter((k) => k in records).map((k) => [k, records[k] as L] as const)),
      write: () => undefined,
    },
    writeOutside: (docs) =>
      new Promise<void>((resolve, reject) => {
        pending.push({
          finish: (refused = []) => {
            for (const [key, { doc }] of docs) if (doc && !refused.includes(key)) rows.set(key, doc);
            if (refused.length === 0) resolve();
            else reject(new DocumentRefusedError('REFUSED', `refused ${refused.join(', ')}`, refused));
          },
          fail: reject,
        });
      }),
  };
  return { sink, rows, loads, pending, gate };
}

const erased = stock as unknown as Parameters<typeof documentWriter<Stock, never>>[0];
/** The unit of work without PostgreSQL: the memory sink writes in `writeOutside`. */
const noTransaction: UnitOfWork = async (_move, { statements, outside }) => {
  statements?.(undefined as never);
  await outside?.();
};

describe('documentWriter', () => {
  it('folds the next batch on top of one that is still committing', async () => {
    const store = memorySink({ p1: { total: 10 } });
    const writer = documentWriter(erased, store.sink, noTransaction);
    await writer.start();
    const first = await writer.prepare([adjust('p1', 5)]);
    const committing = first.commit(move);
    const second = await writer.prepare([adjust('p1', 1)]);
    store.pending[0]?.finish();
    await committing;
    const done = second.commit(move);
    store.pending[1]?.finish();
    await done;
    expect(store.rows.get('p1')).toEqual({ total: 16 });
    expect(store.loads).toEqual([['p1']]);
  });

  it('loads nothing it knows is absent, when its generation started empty', async () => {
    const store = memorySink();
    const writer = documentWriter(erased, store.sink, noTransaction);
    await writer.start();
    const batch = await writer.prepare([adjust('p1', 1), adjust('p2', 2)]);
    const done = batch.commit(move);
    store.pending[0]?.finish();
    await done;
    expect(store.loads).toEqual([]);
    expect(store.rows.get('p2')).toEqual({ total: 2 });
  });

  it('after a failed commit reads the store again, and from the store, not from what failed', async () => {
    const store = memorySink();
    const writer = documentWriter(erased, store.sink, noTransaction);
    await writer.start();
    const failing = (await writer.prepare([adjust('p1', 1)])).commit(move);
    store.pending[0]?.fail(new Error('connection lost'));
    await expect(failing).rejects.toThrow('connection lost');
    store.rows.set('p1', { total: 100 }); // whatever another owner wrote meanwhile
    const retried = await writer.prepare([adjust('p1', 1)]);
    expect(store.loads).toEqual([['p1']]);
    const done = retried.commit(move);
    store.pending[1]?.finish();
    await done;
    expect(store.rows.get('p1')).toEqual({ total: 101 });
  });

  it('marks a batch prepared during a commit stale when that commit had a document refused', async () => {
    const store = memorySink({ p1: { total: 10 } });
    const writer = documentWriter(erased, store.sink, noTransaction);
    await writer.start();
    const committing = (await writer.prepare([adjust('p1', 5)])).commit(move);
    const next = await writer.prepare([adjust('p1', 1)]);
    store.pending[0]?.finish(['p1']);
    await expect(committing).rejects.toBeInstanceOf(DocumentRefusedError);
    expect(next.stale).toBe(true);
    const again = await writer.prepare([adjust('p1', 1)]);
    expect(again.stale).toBe(false);
    const done = again.commit(move);
    store.pending[1]?.finish();
    await done;
    expect(store.rows.get('p1')).toEqual({ total: 11 });
  });

  it('a load in flight when a failed commit clears the cache does not refill it', async () => {
    const store = memorySink({ p0: { total: 1 } });
    const writer = documentWriter(erased, store.sink, noTransaction);
    await writer.start();
    const failing = (await writer.prepare([adjust('p0', 1)])).commit(move);
    let release: () => void = () => undefined;
    store.gate.until = new Promise<void>((resolve) => {
      release = resolve;
    });
    const preparing = writer.prepare([adjust('p1', 1)]);
    // Its load of p1 is under way (and sees no p1) before the commit fails.
    await vi.waitFor(() => expect(store.loads).toContainEqual(['p1']));
    store.pending[0]?.fail(new Error('stale checkpoint'));
    await expect(failing).rejects.toThrow('stale checkpoint');
    store.rows.set('p1', { total: 100 }); // created by the owner that moved the checkpoint
    release();
    store.gate.until = undefined;
    expect((await preparing).stale).toBe(true);
    const again = await writer.prepare([adjust('p1', 1)]);
    const done = again.commit(move);
    store.pending[1]?.finish();
    await done;
    expect(store.rows.get('p1')).toEqual({ total: 101 });
  });

  it('an event failing in evolve after changing its lookup never gets a stored document folded from empty', async () => {
    /** Stock held per product; an order's product is found through its lookup record. */
    const reserved = defineDocumentProjection(shop, {
      name: 'reserved',
      version: 1,
      sources: [{ stream: 'ORDERS' }],
      handles: ['orders.order_placed.v1', 'orders.order_cancelled.v1'],
      lookup: {
        key: (e) => e.data.orderId,
        evolve: (record: { productId: string } | null, e) =>
          e.type === 'orders.order_placed.v1' ? { productId: e.data.lines[0]?.productId ?? '' } : record,
      },
      key: (e, record) =>
        e.type === 'orders.order_placed.v1' ? (e.data.lines[0]?.productId ?? '') : (record?.productId ?? []),
      evolve: (doc: Stock | null, e): Stock => {
        if (e.type === 'orders.order_placed.v1' && e.data.customerId === 'bug') throw new Error('a bug');
        return { total: (doc?.total ?? 0) + 1 };
      },
      target: postgresTable<Stock>({ columns: { total: 'bigint' } }),
    });
    const store = memorySink<{ productId: string }>(
      { kettle: { total: 41 } },
      { o1: { productId: 'kettle' } },
    );
    const writer = documentWriter(reserved as never, store.sink, noTransaction);
    await writer.start();
    const batch = await writer.prepare([
      event('orders.order_placed.v1', {
        orderId: 'o1',
        customerId: 'bug',
        lines: [{ productId: 'toaster', quantity: 1, unitPriceCents: 1 }],
      }) as AnyEvent,
      event('orders.order_cancelled.v1', { orderId: 'o1', reason: 'x' }) as AnyEvent,
    ]);
    expect(batch.failures.map((f) => f.error.message)).toEqual(['a bug']);
    const done = batch.commit(move);
    store.pending[0]?.finish();
    await done;
    expect(store.rows.get('kettle')).toEqual({ total: 42 });
    expect(store.rows.has('toaster')).toBe(false);
  });
});
