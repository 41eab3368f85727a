import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { shop } from '../../../../../examples/shop/contract.ts';
import { customerStats } from '../../../../../examples/shop/views/customer-stats.ts';
import { orders } from '../../../../../examples/shop/views/orders.ts';
import {
  ContractError,
  defineApplication,
  defineContract,
  defineDocumentProjection,
  eventType,
  postgresTable,
  streamsFor,
  upcaster,
} from '../../../../../projectors/engine/index.ts';

const Opened = eventType({
  type: 'bank.opened.v1',
  stream: 'BANK',
  schema: z.object({ accountId: z.string() }),
  aggregateId: (d) => d.accountId,
});
const OpenedV2 = eventType({
  type: 'bank.opened.v2',
  stream: 'BANK',
  schema: z.object({ accountId: z.string(), currency: z.string() }),
  aggregateId: (d) => d.accountId,
});

describe('defineContract', () => {
  it('indexes current and legacy types and the upcasters by where they start', () => {
    const bank = defineContract({
      streams: [{ name: 'BANK', subjects: 'bank.>' }],
      events: [OpenedV2],
      legacy: [Opened],
      upcasters: [upcaster(Opened, OpenedV2, (d) => ({ ...d, currency: 'EUR' }))],
    });
    expect([...bank.types.keys()]).toEqual(['bank.opened.v2', 'bank.opened.v1']);
    expect(bank.upcastersFrom.get('bank.opened.v1')?.to.type).toBe('bank.opened.v2');
  });

  it('names every mistake at once', () => {
    expect(() =>
      defineContract({
        streams: [
          { name: 'BANK', subjects: 'money.>' },
          { name: 'BANK', subjects: 'bank.>', replicas: 7 },
          { name: 'lower', subjects: 'x.>' },
        ],
        events: [OpenedV2, OpenedV2],
        legacy: [Opened],
      }),
    ).toThrow(
      /stream BANK is declared twice[\s\S]*replicas must be 1 to 5[\s\S]*stream lower[\s\S]*bank\.opened\.v2 is declared twice[\s\S]*not under BANK's subjects money\.>[\s\S]*legacy event type bank\.opened\.v1: no upcaster/,
    );
  });

  it('refuses an event type on an undeclared stream', () => {
    expect(() =>
      defineContract({ streams: [{ name: 'OTHER', subjects: 'other.>' }], events: [Opened] as never }),
    ).toThrow(/stream BANK is not declared/);
  });
});

describe('subject shapes in a contract', () => {
  const Deposited = eventType({
    type: 'bank.deposited.v1',
    stream: 'BANK',
    schema: z.object({ accountId: z.string() }),
    aggregateId: (d) => d.accountId,
  });

  it('keeps Vista’s own subjects for a contract that says nothing, namespaced per installation', () => {
    const bank = defineContract({ streams: [{ name: 'BANK', subjects: 'bank.>' }], events: [Deposited] });
    expect(bank.subjectOf('bank.deposited.v1', 'a-1')).toBe('bank.deposited.a-1');
    expect(streamsFor(bank, 't1').subjectOf('bank.deposited.v1', 'a-1')).toBe('t1.bank.deposited.a-1');
  });

  it('shapes a stream’s subjects as the stream says, and one type’s as the type says', () => {
    const Closed = eventType({
      type: 'bank.closed.v1',
      stream: 'BANK',
      schema: z.object({ accountId: z.string() }),
      aggregateId: (d) => d.accountId,
      subjectShape: ({ aggregateId }) => `bank.v1.closures.${aggregateId}`,
    });
    const bank = defineContract({
      streams: [{ name: 'BANK', subjects: 'bank.v1.>', subjectShape: 'bank.v1.{aggregateId}.{event}' }],
      events: [Deposited, Closed],
    });
    const streams = streamsFor(bank, '');
    expect(streams.subjectOf('bank.deposited.v1', 'a-1')).toBe('bank.v1.a-1.deposited');
    expect(streams.subjectOf('bank.closed.v1', 'a-1')).toBe('bank.v1.closures.a-1');
  });

  it('reads a subject’s aggregate id without decoding, only where the stream’s shapes agree on it', () => {
    const Tagged = eventType({
      type: 'bank.tagged.v1',
      stream: 'BANK',
      schema: z.object({ accountId: z.string() }),
      aggregateId: (d) => d.accountId,
      // bank.tagged.<id> and bank.{aggregateId}.x.y could both be read from bank.tagged.x.y
      subjectShape: 'bank.{aggregateId}.x.y',
    });
    const bank = defineContract({
      streams: [{ name: 'BANK', subjects: 'bank.>' }],
      events: [Deposited, Tagged],
    });
    const streams = streamsFor(bank, 't1');
    expect(streams.aggregateIdOf('BANK', 't1.bank.deposited.a-1')).toBe('a-1');
    expect(streams.aggregateIdOf('BANK', 't1.bank.a-1.x.y')).toBe('a-1');
    expect(streams.aggregateIdOf('BANK', 't1.bank.deposited.x.y')).toBeUndefined();
    expect(streams.aggregateIdOf('BANK', 'bank.deposited.a-1')).toBeUndefined();
    expect(streams.aggregateIdOf('BANK', 't1.other.a-1')).toBeUndefined();

    const Closed = eventType({
      type: 'bank.closed.v1',
      stream: 'BANK',
      schema: z.object({ accountId: z.string() }),
      aggregateId: (d) => d.accountId,
      subjectShape: ({ aggregateId }) => `bank.deposited.${aggregateId}`,
    });
    // A function shape may give any subject of the stream: none is read without decoding.
    const shaped = defineContract({
      streams: [{ name: 'BANK', subjects: 'bank.>' }],
      events: [Deposited, Closed],
    });
    expect(shaped.aggregateIdOf('BANK', 'bank.deposited.a-1')).toBeUndefined();
  });

  it('stops start-up when a shape’s subjects fall outside the stream’s, naming the stream and the shape', () => {
    expect(() =>
      defineContract({
        streams: [{ name: 'BANK', subjects: 'bank.>', subjectShape: 'money.v1.{aggregateId}.{event}' }],
        events: [Deposited],
      }),
    ).toThrow(
      "event type bank.deposited.v1: its subjects money.v1.*.deposited (shape money.v1.{aggregateId}.{event}) are not under BANK's subjects bank.>",
    );
    expect(() =>
      defineContract({
        streams: [
          { name: 'BANK', subjects: 'bank.v1.*.opened', subjectShape: 'bank.v1.{aggregateId}.{event}' },
        ],
        events: [Deposited],
      }),
    ).toThrow(/its subjects bank\.v1\.\*\.deposited .* not under BANK's subjects bank\.v1\.\*\.opened/);
    expect(() =>
      defineContract({
        streams: [{ name: 'BANK', subjects: 'bank.>', subjectShape: 'bank.{account}.{event}' }],
        events: [Deposited],
      }),
    ).toThrow(
      /event type bank\.deposited\.v1: subject shape bank\.\{account\}\.\{event\}: unknown placeholder/,
    );
  });

  it('is a contract error, stopping start-up with exit 78 like the others', () => {
    expect(() =>
      defineContract({
        streams: [{ name: 'BANK', subjects: 'bank.>', subjectShape: 'money.{aggregateId}' }],
        events: [Deposited],
      }),
    ).toThrow(ContractError);
  });
});

describe('defineDocumentProjection', () => {
  const bank = defineContract({ streams: [{ name: 'BANK', subjects: 'bank.>' }], events: [OpenedV2] });
  const valid = {
    name: 'accounts',
    version: 1,
    sources: [{ stream: 'BANK' as const }],
    handles: ['bank.opened.v2' as const],
    key: (e: { data: { accountId: string } }) => e.data.accountId,
    evolve: () => ({ open: true }),
    target: postgresTable<{ open: boolean }>({ columns: { open: 'boolean' } }),
  };

  it('types handlers by the events `handles` names, and refuses a type the contract lacks', () => {
    const p = defineDocumentProjection(bank, {
      ...valid,
      key: (e) => e.data.accountId,
      evolve: (_doc, e) => ({ open: e.data.currency.length > 0 }),
    });
    expect(p.kind).toBe('document');
    expect(() =>
      defineDocumentProjection(bank, {
        ...valid,
        // @ts-expect-error: a typo in an event type does not compile (and fails at start-up too)
        handles: ['bank.opend.v2'],
      }),
    ).toThrow(/bank\.opend\.v2 is not a current event type/);
  });

  it('checks at start-up what the types cannot', () => {
    expect(() =>
      defineDocumentProjection(bank, {
        ...valid,
        name: 'Accounts!',
        version: 0,
        sources: [{ stream: 'BANK' }, { stream: 'BANK' }],
      }),
    ).toThrow(/invalid projection Accounts![\s\S]*name:[\s\S]*version:[\s\S]*stream BANK is named twice/);
  });
});

describe('defineApplication', () => {
  it('refuses two projections of one name and streams of another contract', () => {
    const bank = defineContract({ streams: [{ name: 'BANK', subjects: 'bank.>' }], events: [OpenedV2] });
    expect(() => defineApplication({ name: 'bank', contract: bank, projections: [orders, orders] })).toThrow(
      /projection orders is defined twice[\s\S]*stream ORDERS is not in this application's contract/,
    );
    expect(
      defineApplication({ name: 'shop', contract: shop, projections: [orders, customerStats] }).projections,
    ).toEqual([orders, customerStats]);
  });

  it('refuses, in every process that loads it, a relation to a view the application lacks', () => {
    // orders relates each order to its customer in customer_stats.
    expect(() => defineApplication({ name: 'shop', contract: shop, projections: [orders] })).toThrow(
      /invalid application shop:\n {2}view orders: relation customer names view customer_stats, which is not registered/,
    );
  });
});
