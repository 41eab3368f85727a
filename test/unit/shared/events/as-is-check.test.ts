import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ledger } from '../../../../examples/ledger/contract.ts';
import { ledgerHistory } from '../../../../examples/ledger/demo/history.ts';
import { shop } from '../../../../examples/shop/contract.ts';
import { demoHistory } from '../../../../examples/shop/demo/history.ts';
import { asIsCheck } from '../../../../shared/events/as-is-check.ts';

/** A seeded generator, so that a failure names an input that comes again. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return {
    next,
    below: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}
type Random = ReturnType<typeof random>;

type Def = Record<string, unknown> & { type: string; checks?: { _zod: { def: Record<string, unknown> } }[] };
const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def) => (def.checks ?? []).map((check) => check._zod.def);

const STRINGS = [
  '',
  'a',
  'AB',
  'ABC',
  'USD',
  'ab',
  'é',
  '😀',
  '\u0000',
  ' x ',
  'A'.repeat(20),
  'x'.repeat(101),
];

/** A value near what `schema` takes: often valid, often at or just past a bound, sometimes of another kind. */
function near(schema: unknown, r: Random, depth = 0): unknown {
  const def = defOf(schema);
  if (r.next() < 0.02) return r.pick<unknown>([null, 0, '', true, [], {}, '1', -1]);
  switch (def.type) {
    case 'string': {
      const lengths = checksOf(def).flatMap((c) =>
        typeof c.minimum === 'number'
          ? [c.minimum - 1, c.minimum]
          : typeof c.maximum === 'number'
            ? [c.maximum, c.maximum + 1]
            : [],
      );
      const length = lengths.length > 0 && r.next() < 0.3 ? Math.max(0, r.pick(lengths)) : undefined;
      if (length !== undefined) return r.pick(['x', '😀', 'A']).repeat(length).slice(0, length);
      return r.pick(STRINGS) + (r.next() < 0.2 ? `-${r.below(1000)}` : '');
    }
    case 'number': {
      const bounds = checksOf(def).flatMap((c) => (typeof c.value === 'number' ? [c.value] : []));
      const base = bounds.length > 0 && r.next() < 0.5 ? r.pick(bounds) : r.below(2000) - 1000;
      return (
        base + r.pick([0, 0, 1, -1, 0.5, -0.5]) * (r.next() < 0.9 ? 1 : 0) + (r.next() < 0.02 ? 2 ** 53 : 0)
      );
    }
    case 'boolean':
      return r.next() < 0.5;
    case 'literal':
    case 'enum':
      return r.next() < 0.8
        ? r.pick([...((schema as { _zod: { values: Set<unknown> } })._zod.values ?? [])])
        : 'other';
    case 'optional':
      return r.next() < 0.2 ? undefined : near(def.innerType, r, depth);
    case 'nullable':
      return r.next() < 0.2 ? null : near(def.innerType, r, depth);
    case 'array': {
      const n = depth > 2 ? 0 : r.pick([0, 1, 1, 2, 3, 21]);
      return Array.from({ length: n }, () => near(def.element, r, depth + 1));
    }
    case 'object': {
      const entries = Object.entries(def.shape as Record<string, unknown>).flatMap(([key, inner]) => {
        const value = near(inner, r, depth + 1);
        // An optional key left out, now and then a required one.
        return value === undefined || r.next() < 0.03 ? [] : [[key, value] as [string, unknown]];
      });
      if (r.next() < 0.05) entries.push(['extra', 1]);
      if (r.next() < 0.05 && entries.length > 1) entries.reverse();
      return Object.fromEntries(entries);
    }
    default:
      throw new Error(`no generator for ${def.type}`);
  }
}

/** zod's verdict beside the check's, on the value as JSON.parse makes it (as decoding does). */
function compare(schema: z.ZodType, check: (value: unknown) => boolean, json: string) {
  const value = JSON.parse(json);
  const said = check(value);
  const parsed = schema.safeParse(value);
  if (said) {
    // Accepted as it is: zod accepts it and hands back the same value, keys in the same order.
    expect(parsed.success, json).toBe(true);
    expect(JSON.stringify(parsed.data), json).toBe(JSON.stringify(value));
    expect(parsed.data, json).toStrictEqual(value);
  }
  return { said, zod: parsed.success };
}

const everything = z.object({
  id: z
    .string()
    .min(1)
    .max(5)
    .regex(/^[a-z]+$/g),
  exact: z.string().length(2).optional(),
  count: z.number().int().positive().max(100),
  ratio: z.number().min(-1).lt(1),
  size: z.number().nonnegative(),
  flag: z.boolean(),
  kind: z.enum(['a', 'b']),
  fixed: z.literal(7),
  note: z.string().nullable(),
  lines: z
    .array(z.object({ sku: z.string().min(1), qty: z.number().int().nonnegative() }))
    .min(1)
    .max(2),
  maybe: z.array(z.string()).optional(),
});

/** `value` with a few changes near what `schema` takes: leaves replaced, keys dropped, added or reordered. */
function mutated(value: unknown, schema: unknown, r: Random): unknown {
  const def = defOf(schema);
  if (r.next() < 0.08) return near(schema, r);
  if (def.type === 'optional' || def.type === 'nullable') return mutated(value, def.innerType, r);
  if (def.type === 'array' && Array.isArray(value)) {
    const items = value.map((item) => mutated(item, def.element, r));
    if (r.next() < 0.05) items.push(near(def.element, r));
    return items;
  }
  if (def.type !== 'object' || typeof value !== 'object' || value === null) return value;
  const shape = def.shape as Record<string, unknown>;
  let entries = Object.entries(value).flatMap(([key, inner]) =>
    r.next() < 0.03 ? [] : [[key, mutated(inner, shape[key], r)] as [string, unknown]],
  );
  if (r.next() < 0.03) entries.push(['extra', 1]);
  if (r.next() < 0.03) entries = entries.reverse();
  return Object.fromEntries(entries);
}

/** Valid data of each event type of both demo histories, and of the schema of every kind. */
function samples(): Map<string, { schema: z.ZodType; valid: unknown[] }> {
  const byType = new Map<string, { schema: z.ZodType; valid: unknown[] }>();
  const events = [...demoHistory({ events: 3000, seed: 7 }), ...ledgerHistory({ events: 3000, seed: 7 })];
  for (const contract of [shop, ledger] as { types: ReadonlyMap<string, { schema: z.ZodType }> }[])
    for (const [type, { schema }] of contract.types) byType.set(type, { schema, valid: [] });
  for (const event of events) byType.get(event.eventType.type)?.valid.push(event.data);
  byType.set('everything', { schema: everything, valid: [valid] });
  return byType;
}

const valid = {
  id: 'abc',
  count: 5,
  ratio: 0.5,
  size: 1.5,
  flag: true,
  kind: 'a',
  fixed: 7,
  note: null,
  lines: [{ sku: 's', qty: 0 }],
};

describe('asIsCheck', () => {
  it('says yes only where zod accepts the value and hands back the same: the contracts and a schema of every kind it knows', () => {
    const r = random(42);
    for (const [type, { schema, valid }] of samples()) {
      const check = asIsCheck(schema);
      expect(check, type).toBeDefined();
      let yes = 0;
      let zodYes = 0;
      for (let i = 0; i < 600; i++) {
        const value = valid.length > 0 && i % 4 !== 0 ? mutated(r.pick(valid), schema, r) : near(schema, r);
        const { said, zod } = compare(schema, check as (value: unknown) => boolean, JSON.stringify(value));
        if (said) yes++;
        if (zod) zodYes++;
      }
      // Neither side is trivial: zod refuses some, and the check takes most of what zod takes.
      expect(zodYes, type).toBeLessThan(600);
      expect(yes, type).toBeGreaterThan(zodYes * 0.5);
      expect(zodYes, type).toBeGreaterThan(60);
    }
  });

  it('refuses what JSON holds and zod refuses: numbers past every bound, unknown and reordered keys, __proto__', () => {
    const check = asIsCheck(everything) as (value: unknown) => boolean;
    const json = JSON.stringify(valid);
    expect(compare(everything, check, json)).toEqual({ said: true, zod: true });
    const refused = [
      json.replace('"count":5', '"count":1e400'),
      json.replace('"ratio":0.5', '"ratio":-1e400'),
      json.replace('"size":1.5', '"size":1e400'),
      json.replace('"count":5', '"count":9007199254740993'),
      json.replace('"qty":0', '"qty":-0.0'),
      json.replace('"id":"abc"', '"id":"abc","__proto__":{"x":1}'),
      `${json.replace('"id":"abc",', '').slice(0, -1)},"id":"abc"}`,
      json.replace('"id":"abc"', '"id":"ab\\u0000"'),
      json.replace('"kind":"a"', '"kind":"toString"'),
      json.replace('"flag":true', '"flag":"true"'),
      json.replace('"lines":[{"sku":"s","qty":0}]', '"lines":[]'),
    ];
    for (const text of refused.slice(0, 3))
      expect(compare(everything, check, text)).toEqual({ said: false, zod: false });
    // -0 is a non-negative integer to zod: taken as it is.
    expect(compare(everything, check, refused[4] as string).said).toBe(true);
    // An unknown key (__proto__ too: zod refuses that one) and keys out of order go to zod.
    expect(compare(everything, check, refused[5] as string).said).toBe(false);
    expect(compare(everything, check, refused[6] as string)).toEqual({ said: false, zod: true });
    for (const text of refused.slice(7)) expect(compare(everything, check, text).said, text).toBe(false);
  });

  it('takes every event of both demo histories as it is', () => {
    const histories = [
      { contract: shop, events: [...demoHistory({ events: 3000, seed: 7 })] },
      { contract: ledger, events: [...ledgerHistory({ events: 3000, seed: 7 })] },
    ];
    for (const { contract, events } of histories) {
      for (const event of events) {
        const schema = contract.types.get(event.eventType.type)?.schema as z.ZodType;
        const check = asIsCheck(schema) as (value: unknown) => boolean;
        expect(compare(schema, check, JSON.stringify(event.data)).said, event.eventType.type).toBe(true);
      }
    }
  });

  it('leaves to zod every schema it does not know fully', () => {
    const unknown = [
      z.string().email(),
      z.string().trim(),
      z.string().refine((s) => s !== 'x'),
      z.string().default('x'),
      z.string().transform((s) => s.length),
      z.coerce.number(),
      z.number().multipleOf(2),
      z.object({ a: z.string() }).strict(),
      z.object({ a: z.string() }).passthrough(),
      z.object({ a: z.string() }).refine((o) => o.a !== ''),
      z.object({ a: z.string().optional().default('x') }),
      z.union([z.string(), z.number()]),
      z.array(z.string().url()),
      z.record(z.string(), z.number()),
      z.date(),
      z.any(),
    ];
    for (const schema of unknown)
      expect(asIsCheck(schema), JSON.stringify(defOf(schema).type)).toBeUndefined();
  });
});
