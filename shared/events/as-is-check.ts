import type { z } from 'zod';

/** Whether zod would accept a value and hand back the same value: an equal copy, keys in the same order. */
export type AsIsCheck = (value: unknown) => boolean;

/** What a zod 4 schema or check says of itself (`schema._zod.def`). */
interface Def {
  readonly type?: string;
  readonly check?: string;
  readonly checks?: readonly { readonly _zod: { readonly def: Def } }[];
  readonly [key: string]: unknown;
}

type Node = { readonly _zod: { readonly def: Def; readonly values?: unknown } };

/**
 * A check that says, without copying anything, whether `schema` would accept a value exactly
 * as it is: decoding an event then keeps the parsed JSON instead of zod's copy of it. zod 4
 * copies every object and array it parses: in a catch-up that was a tenth of the bytes `orders`
 * allocated, and the copy, living until its batch is folded, a seventh of what survived
 * young-generation collections; without it the projector's CPU per event was 3-18% lower
 * (bench/README.md).
 *
 * Only for schemas built of what it knows fully: objects (unknown keys stripped, the default),
 * strings with length bounds and `regex`, finite numbers with bounds and `int()`, booleans,
 * arrays with length bounds, literals, enums, `optional` and `nullable`, none with refinements,
 * transforms or defaults; for any other schema it is undefined and zod alone decides. Where
 * it says no (an invalid value, an unknown key to strip, keys in another order), zod parses as
 * before and words the error. test/unit/shared/events/as-is-check.test.ts holds it to zod.
 */
export function asIsCheck(schema: z.ZodType): AsIsCheck | undefined {
  return compile(schema as unknown as Node);
}

function compile(node: Node): AsIsCheck | undefined {
  const def = node._zod.def;
  switch (def.type) {
    case 'string':
      return only(def, ['checks']) ? stringCheck(def) : undefined;
    case 'number':
      return only(def, ['checks']) ? numberCheck(def) : undefined;
    case 'boolean':
      return only(def, []) ? (value) => typeof value === 'boolean' : undefined;
    case 'literal':
      return only(def, ['values']) ? valuesCheck(node) : undefined;
    case 'enum':
      return only(def, ['entries']) ? valuesCheck(node) : undefined;
    case 'array':
      return only(def, ['element', 'checks']) ? arrayCheck(def) : undefined;
    case 'object':
      return only(def, ['shape']) ? objectCheck(def.shape as Record<string, Node>) : undefined;
    case 'optional': {
      const inner = only(def, ['innerType']) ? compile(def.innerType as Node) : undefined;
      return inner && ((value) => value === undefined || inner(value));
    }
    case 'nullable': {
      const inner = only(def, ['innerType']) ? compile(def.innerType as Node) : undefined;
      return inner && ((value) => value === null || inner(value));
    }
    default:
      return undefined;
  }
}

/**
 * Whether `def` holds nothing beyond its type, `known` and an error message (which words a
 * refusal only): any other setting may change what zod accepts or hands back.
 */
function only(def: Def, known: readonly string[]): boolean {
  for (const key in def) {
    if (key === 'type' || key === 'error' || known.includes(key)) continue;
    if (def[key] !== undefined) return false;
  }
  return true;
}

/**
 * Whether a check holds nothing beyond its kind, `known`, and what can only make zod skip it
 * (`when`, zod's own on length checks) or stop after it (`abort`): a check skipped by zod and
 * made here only refuses more, and a refusal goes to zod.
 */
const checkHas = (check: Def, known: readonly string[]): boolean =>
  only(check, ['check', 'abort', 'when', ...known]);

type Bound = (length: number) => boolean;

/** The length bounds among `checks`, or undefined for a check that is not one. */
function lengthBounds(checks: readonly Def[]): Bound[] | undefined {
  const bounds: Bound[] = [];
  for (const check of checks) {
    if (check.check === 'min_length' && checkHas(check, ['minimum'])) {
      const minimum = check.minimum as number;
      bounds.push((length) => length >= minimum);
    } else if (check.check === 'max_length' && checkHas(check, ['maximum'])) {
      const maximum = check.maximum as number;
      bounds.push((length) => length <= maximum);
    } else if (check.check === 'length_equals' && checkHas(check, ['length'])) {
      const exact = check.length as number;
      bounds.push((length) => length === exact);
    } else return undefined;
  }
  return bounds;
}

const checksOf = (def: Def): Def[] => (def.checks ?? []).map((check) => check._zod.def);

function stringCheck(def: Def): AsIsCheck | undefined {
  const checks = checksOf(def);
  const patterns: RegExp[] = [];
  const lengthChecks: Def[] = [];
  for (const check of checks) {
    if (
      check.check === 'string_format' &&
      check.format === 'regex' &&
      check.pattern instanceof RegExp &&
      checkHas(check, ['format', 'pattern'])
    )
      patterns.push(check.pattern);
    else lengthChecks.push(check);
  }
  const bounds = lengthBounds(lengthChecks);
  if (!bounds) return undefined;
  return (value) => {
    if (typeof value !== 'string') return false;
    for (const bound of bounds) if (!bound(value.length)) return false;
    for (const pattern of patterns) {
      // As zod tests it: a global or sticky pattern starts from the beginning each time.
      pattern.lastIndex = 0;
      if (!pattern.test(value)) return false;
    }
    return true;
  };
}

function numberCheck(def: Def): AsIsCheck | undefined {
  const tests: ((value: number) => boolean)[] = [];
  for (const check of checksOf(def)) {
    if (check.check === 'number_format' && check.format === 'safeint' && checkHas(check, ['format']))
      tests.push(Number.isSafeInteger);
    else if (check.check === 'greater_than' && checkHas(check, ['value', 'inclusive'])) {
      const bound = check.value as number;
      tests.push(check.inclusive ? (value) => value >= bound : (value) => value > bound);
    } else if (check.check === 'less_than' && checkHas(check, ['value', 'inclusive'])) {
      const bound = check.value as number;
      tests.push(check.inclusive ? (value) => value <= bound : (value) => value < bound);
    } else return undefined;
  }
  return (value) => {
    // zod 4 refuses NaN and the infinities (JSON.parse makes Infinity of 1e400).
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

/** A literal's or enum's values, as zod itself keeps and tests them. */
function valuesCheck(node: Node): AsIsCheck | undefined {
  const allowed = node._zod.values;
  return allowed instanceof Set ? (value) => allowed.has(value) : undefined;
}

function arrayCheck(def: Def): AsIsCheck | undefined {
  const element = compile(def.element as Node);
  const bounds = lengthBounds(checksOf(def));
  if (!element || !bounds) return undefined;
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (const bound of bounds) if (!bound(value.length)) return false;
    for (let i = 0; i < value.length; i++) if (!element(value[i])) return false;
    return true;
  };
}

function objectCheck(shape: Record<string, Node>): AsIsCheck | undefined {
  const keys = Object.keys(shape);
  const checks: AsIsCheck[] = [];
  const optional: boolean[] = [];
  for (const key of keys) {
    const node = shape[key] as Node;
    const check = compile(node);
    if (!check) return undefined;
    checks.push(check);
    optional.push(node._zod.def.type === 'optional');
  }
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    // The value's keys must be the shape's, in its order, an optional one absent or not: zod's
    // copy has the shape's keys in the shape's order, and no others.
    let at = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) return false;
      while (at < keys.length && keys[at] !== key) {
        if (!optional[at]) return false;
        at++;
      }
      if (at === keys.length) return false;
      if (!(checks[at] as AsIsCheck)((value as Record<string, unknown>)[key])) return false;
      at++;
    }
    for (; at < keys.length; at++) if (!optional[at]) return false;
    return true;
  };
}
