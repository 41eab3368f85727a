import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { defineDocumentProjection } from '../../../../../projectors/engine/definition/define.ts';
import {
  type DocumentRefusal,
  foldBatch,
  type Stored,
} from '../../../../../projectors/engine/pipeline/fold.ts';
import { DocumentRefusedError } from '../../../../../projectors/engine/poison/classification.ts';
import { postgresTable } from '../../../../../projectors/engine/stores/postgres/target.ts';
import type { AnyEvent } from '../../../../../shared/events/event-type.ts';
import { event } from '../../../../support/shop/events.ts';

interface Counter {
  total: number;
}

const counter = defineDocumentProjection(shop, {
  name: 'counter',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.stock_adjusted.v1'],
  key: (e) => e.data.productId,
  evolve: (doc: Counter | null, e): Counter => {
    if (e.data.reason === 'explode') throw new Error('cannot fold this');
    return { total: (doc?.total ?? 0) + e.data.delta };
  },
  target: postgresTable<Counter>({ columns: { total: 'bigint' } }),
});
const erased = counter as unknown as Parameters<typeof foldBatch<Counter, never>>[0];

const adjust = (sequence: number, delta: number, reason = 'restock'): AnyEvent =>
  event('catalog.stock_adjusted.v1', { productId: 'p1', delta, reason }, { sequence }) as AnyEvent;

const fold = (events: AnyEvent[], docs = new Map<string, Stored<Counter>>()) =>
  foldBatch(erased, events, { docs, lookups: new Map() });

describe('foldBatch', () => {
  it('records the positions each document absorbed', () => {
    const { docs } = fold([adjust(1, 5), adjust(2, 3)]);
    expect(docs.get('p1')).toEqual({ doc: { total: 8 }, positions: { CATALOG: 2 } });
  });

  it('skips events a document already absorbed, so replaying a range changes nothing', () => {
    const first = fold([adjust(1, 5), adjust(2, 3)]);
    const replayed = fold([adjust(1, 5), adjust(2, 3), adjust(3, 1)], first.docs);
    expect(replayed.docs.get('p1')).toEqual({ doc: { total: 9 }, positions: { CATALOG: 3 } });
  });

  it('reports a throwing event as a failure and leaves its document as it was', () => {
    const { docs, failures } = fold([adjust(1, 5), adjust(2, 100, 'explode'), adjust(3, 1)]);
    expect(failures.map((f) => [f.event.sequence, f.error.message])).toEqual([[2, 'cannot fold this']]);
    expect(docs.get('p1')?.doc).toEqual({ total: 6 });
  });

  it("reports an evolve, a key or a lookup that returns what its type forbids as the event's failure", () => {
    // What a typo in a `case` label, a missing return or an `any` lets through at run time.
    const sloppy = (overrides: Record<string, unknown>) =>
      ({ ...counter, ...overrides }) as unknown as Parameters<typeof foldBatch<Counter, never>>[0];
    const foldWith = (p: ReturnType<typeof sloppy>, events: AnyEvent[]) =>
      foldBatch(p, events, { docs: new Map(), lookups: new Map() });
    const messages = (result: ReturnType<typeof foldWith>) =>
      result.failures.map((f) => [f.event.sequence, f.error.message]);

    const undefinedDoc = foldWith(
      sloppy({
        evolve: (_doc: Counter | null, e: AnyEvent) => (e.sequence === 2 ? undefined : { total: 1 }),
      }),
      [adjust(1, 5), adjust(2, 3), adjust(3, 1)],
    );
    expect(messages(undefinedDoc)).toEqual([
      [2, 'evolve returned undefined for key p1: expected the document, or null to delete it'],
    ]);
    expect(undefinedDoc.docs.get('p1')).toEqual({ doc: { total: 1 }, positions: { CATALOG: 3 } });

    expect(messages(foldWith(sloppy({ evolve: () => 42 }), [adjust(1, 5)]))).toEqual([
      [1, 'evolve returned number 42 for key p1: expected the document, or null to delete it'],
    ]);
    expect(messages(foldWith(sloppy({ evolve: () => [1] }), [adjust(1, 5)]))[0]?.[1]).toMatch(
      /evolve returned a list \(1\)/,
    );
    expect(messages(foldWith(sloppy({ key: () => undefined }), [adjust(1, 5)]))).toEqual([
      [1, 'key returned undefined: expected a non-empty string or a list of them'],
    ]);
    expect(messages(foldWith(sloppy({ key: () => ['p1', 7] }), [adjust(1, 5)]))[0]?.[1]).toMatch(
      /key returned a list \(2\)/,
    );
    expect(messages(foldWith(sloppy({ key: () => '' }), [adjust(1, 5)]))[0]?.[1]).toMatch(
      /key returned string ""/,
    );
    const lookup = { key: () => 'p1', evolve: () => undefined };
    expect(messages(foldWith(sloppy({ lookup }), [adjust(1, 5)]))).toEqual([
      [1, 'lookup.evolve returned undefined for key p1: expected the record, or null to delete it'],
    ]);
    expect(messages(foldWith(sloppy({ lookup: { ...lookup, key: () => 3 } }), [adjust(1, 5)]))).toEqual([
      [1, 'lookup.key returned number 3: expected a non-empty string, or undefined'],
    ]);
  });

  describe('states the store would refuse', () => {
    /** A store that takes totals up to 100, and counts the states it was asked about. */
    const store = () => {
      const asked: [number, number | null][] = [];
      const refusal: DocumentRefusal<Counter> = (key, doc, previous) => {
        asked.push([doc.total, previous?.total ?? null]);
        return doc.total > 100
          ? new DocumentRefusedError('TOO_BIG', `${key}: ${doc.total} is over 100`, [key])
          : undefined;
      };
      return { asked, refusal };
    };

    it('fails the event whose state is refused, even when a later event of the batch replaces it', () => {
      const { refusal } = store();
      // 50 → 150 (refused) → −60 from 50: PostgreSQL would only ever see the last, -10.
      const events = [adjust(1, 50), adjust(2, 100), adjust(3, -60)];
      const together = foldBatch(erased, events, { docs: new Map(), lookups: new Map() }, refusal);
      expect(together.failures.map((f) => [f.event.sequence, f.error.message])).toEqual([
        [2, 'p1: 150 is over 100'],
      ]);
      expect(together.failures[0]?.error).toBeInstanceOf(DocumentRefusedError);
      expect(together.docs.get('p1')).toEqual({ doc: { total: -10 }, positions: { CATALOG: 3 } });

      // Cut into batches of one, the same event fails and the documents end the same.
      let docs = new Map<string, Stored<Counter>>();
      const failed: number[] = [];
      for (const e of events) {
        const one = foldBatch(erased, [e], { docs, lookups: new Map() }, refusal);
        failed.push(...one.failures.map((f) => f.event.sequence));
        docs = new Map([...docs, ...one.docs]);
      }
      expect(failed).toEqual([2]);
      expect(docs.get('p1')?.doc).toEqual({ total: -10 });
    });

    it('asks about every state with the one it was folded from, and never about a deletion', () => {
      const { asked, refusal } = store();
      const deleting = {
        ...counter,
        evolve: (doc: Counter | null, e: AnyEvent) =>
          (e.data as { delta: number }).delta === 0
            ? null
            : { total: (doc?.total ?? 0) + (e.data as { delta: number }).delta },
      } as unknown as Parameters<typeof foldBatch<Counter, never>>[0];
      const stored = new Map([['p1', { doc: { total: 7 }, positions: { CATALOG: 1 } }]]);
      foldBatch(
        deleting,
        [adjust(2, 1), adjust(3, 2), adjust(4, 0)],
        { docs: stored, lookups: new Map() },
        refusal,
      );
      expect(asked).toEqual([
        [8, 7],
        [10, 8],
      ]);
    });

    it('fails the event whose lookup record jsonb cannot hold, and keeps the record it had', () => {
      const recording = {
        ...counter,
        lookup: {
          key: () => 'r1',
          evolve: (_record: unknown, e: AnyEvent) => ({ reason: (e.data as { reason: string }).reason }),
        },
      } as unknown as Parameters<typeof foldBatch<Counter, { reason: string }>>[0];
      const result = foldBatch(
        recording,
        [adjust(1, 1, 'ok'), adjust(2, 1, 'a\u0000b'), adjust(3, 1, 'fine')],
        {
          docs: new Map(),
          lookups: new Map(),
        },
      );
      expect(result.failures.map((f) => [f.event.sequence, (f.error as DocumentRefusedError).code])).toEqual([
        [2, 'UNSTORABLE_LOOKUP'],
      ]);
      expect(result.failures[0]?.error.message).toBe(
        'lookup record r1 cannot be stored: reason: contains a NUL character (U+0000)',
      );
      expect(result.lookups.get('r1')).toEqual({ reason: 'fine' });
      expect(result.docs.get('p1')?.doc).toEqual({ total: 2 });
    });
  });
});
