/**
 * Refusals Elasticsearch's `_bulk` would make, found before it is sent. A bulk is not a
 * transaction: when one document is refused, the others are written, and a poison event that
 * touched both leaves its effect in the written ones. Bisection then applies the batch without
 * the event, but those documents already carry the event's positions: the write without it
 * loses on its version and counts as already applied, so the effect stays for good (an order
 * past a `byte` on one product kept its units on another). The fold asks this check of every
 * state it takes a document through (`indexRefusal`, index-generation.ts), so such an event fails before
 * anything is written, and fails the same however the batches are cut.
 *
 * Only what is certain is refused: a field the strict mapping lacks, a number outside its
 * type's range, a value of the wrong kind (a boolean or an object where a number goes, a
 * scalar where an object goes), a keyword longer than Lucene's largest term; each case was
 * asked of Elasticsearch 8.19 itself (see the unit test). What the mapping leaves to
 * Elasticsearch (a string in a numeric field, which it may coerce; a date, whose formats it
 * parses) goes to Elasticsearch, whose refusal is still caught after the bulk.
 */

/** Why a value cannot go into a field: the error type Elasticsearch itself gives, and a reason. */
export interface Refusal {
  readonly type: 'document_parsing_exception' | 'strict_dynamic_mapping_exception';
  readonly reason: string;
}

/** Checks one value (never undefined) of a field; the path names the field in a reason. */
type Check = (value: unknown, path: string) => Refusal | undefined;

/** Lucene's largest term, in UTF-8 bytes: a keyword beyond it is an "immense term". */
const MAX_TERM_BYTES = 32_766;

/**
 * Integer types' ranges: the least value and one past the largest (2^63 is exact as a double,
 * 2^63 − 1 is not). A value is refused when even its whole part is outside: Elasticsearch
 * takes 127.5 for a byte but refuses 2147483647.9 for an integer, so what lies between is
 * left to it.
 */
const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  byte: [-128, 128],
  short: [-32_768, 32_768],
  integer: [-(2 ** 31), 2 ** 31],
  long: [-(2 ** 63), 2 ** 63],
  unsigned_long: [0, 2 ** 64],
};

/** Whether a number overflows a floating type (rounded to it, it is infinite). */
const OVERFLOWS: Record<string, (value: number) => boolean> = {
  float: (value) => !Number.isFinite(Math.fround(value)),
  // Half precision's largest is 65504; from 65520 on a value rounds to infinity.
  half_float: (value) => Math.abs(value) >= 65_520,
};

const parsing = (reason: string): Refusal => ({ type: 'document_parsing_exception', reason });

/** Whether JSON.stringify writes `value` as something else than what it is (a Date, say). */
const serialisedOtherwise = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !serialisedOtherwise(value);

/** A field's check from its mapping; undefined for what is left to Elasticsearch. */
function checkFor(mapping: Record<string, unknown>, strict: boolean): Check | undefined {
  const type = mapping.type as string | undefined;
  if (mapping.properties !== undefined || type === 'object' || type === 'nested') {
    if (mapping.enabled === false) return undefined;
    const inner = objectCheck(
      (mapping.properties ?? {}) as Record<string, Record<string, unknown>>,
      mapping.dynamic === undefined ? strict : mapping.dynamic === 'strict',
    );
    return (value, path) =>
      isPlainObject(value)
        ? inner(value, path)
        : parsing(`${path} is an object field; it was given ${describe(value)}`);
  }
  const range = type === undefined ? undefined : INTEGER_RANGES[type];
  if (range) {
    const truncates = mapping.coerce !== false;
    return (value, path) => {
      if (typeof value === 'boolean' || isPlainObject(value))
        return parsing(`${path} (${type}) was given ${describe(value)}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
      if (!truncates && !Number.isInteger(value))
        return parsing(`${path} (${type}, no coercion) was given ${value}`);
      const whole = Math.trunc(value);
      return whole < range[0] || whole >= range[1]
        ? parsing(`${path} (${type}) is out of range: ${value}`)
        : undefined;
    };
  }
  const overflows = type === undefined ? undefined : OVERFLOWS[type];
  if (overflows || type === 'double') {
    return (value, path) => {
      if (typeof value === 'boolean' || isPlainObject(value))
        return parsing(`${path} (${type}) was given ${describe(value)}`);
      return typeof value === 'number' && overflows?.(value)
        ? parsing(`${path} (${type}) is out of range: ${value}`)
        : undefined;
    };
  }
  if (type === 'keyword') {
    // Past `ignore_above` a value is kept in the source but not indexed: no term, no limit.
    const limited = mapping.index !== false && mapping.ignore_above === undefined;
    return (value, path) => {
      if (isPlainObject(value)) return parsing(`${path} (keyword) was given ${describe(value)}`);
      return limited &&
        typeof value === 'string' &&
        value.length * 3 > MAX_TERM_BYTES &&
        Buffer.byteLength(value) > MAX_TERM_BYTES
        ? parsing(
            `${path} (keyword) holds ${Buffer.byteLength(value)} bytes, past the ${MAX_TERM_BYTES} a term may have`,
          )
        : undefined;
    };
  }
  if (type === 'text' || type === 'match_only_text') {
    // Its sub-fields (a `.keyword`) index the same value.
    const fields = Object.entries((mapping.fields ?? {}) as Record<string, Record<string, unknown>>).flatMap(
      ([name, sub]) => {
        const check = checkFor(sub, false);
        return check ? [[name, check] as const] : [];
      },
    );
    return (value, path) => {
      if (isPlainObject(value)) return parsing(`${path} (${type}) was given ${describe(value)}`);
      for (const [name, check] of fields) {
        const refusal = check(value, `${path}.${name}`);
        if (refusal) return refusal;
      }
      return undefined;
    };
  }
  if (type === 'boolean') {
    return (value, path) =>
      value === true || value === false || value === 'true' || value === 'false' || value === ''
        ? undefined
        : typeof value === 'string' || typeof value === 'number' || isPlainObject(value)
          ? parsing(`${path} (boolean) takes true or false; it was given ${describe(value)}`)
          : undefined;
  }
  return undefined;
}

/**
 * A check of an object's fields against `properties`; `strict`: a field not among them is
 * refused. A field holding what `previous` holds (an earlier state of the document, which
 * the index took or this check passed) is not checked again.
 */
function objectCheck(
  properties: Record<string, Record<string, unknown>>,
  strict: boolean,
): (
  value: unknown,
  path: string,
  previous?: Readonly<Record<string, unknown>> | null,
) => Refusal | undefined {
  const checks = new Map<string, Check | undefined>(
    Object.entries(properties).map(([name, mapping]) => [name, checkFor(mapping, strict)]),
  );
  // Runs for every document of every batch: the loop allocates nothing (a nested field's path,
  // a text field's sub-field path and a refusal are the only strings built).
  return (value, path, previous) => {
    const object = value as Record<string, unknown>;
    for (const name in object) {
      if (!Object.hasOwn(object, name)) continue;
      const field = object[name];
      // A dotted name is a path into objects, which Elasticsearch resolves: left to it.
      if (field === undefined || field === null || name.includes('.')) continue;
      if (previous && field === previous[name]) continue;
      const check = checks.get(name);
      if (check === undefined) {
        if (strict && !checks.has(name)) {
          return {
            type: 'strict_dynamic_mapping_exception',
            reason: `${path ? `${path}.${name}` : name} is not a field of the index's mapping`,
          };
        }
        continue;
      }
      const refusal = checkValue(check, field, path ? `${path}.${name}` : name);
      if (refusal) return refusal;
    }
    return undefined;
  };
}

/** `check` of a field's value: an array (of arrays) is its elements, each a value of the field. */
function checkValue(check: Check, value: unknown, path: string): Refusal | undefined {
  if (!Array.isArray(value)) return value === null || value === undefined ? undefined : check(value, path);
  for (const element of value) {
    const refusal = checkValue(check, element, path);
    if (refusal) return refusal;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (isPlainObject(value)) return 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return String(value);
}

/**
 * A check of documents against an index's mapping (`properties`, under `dynamic: strict`):
 * the refusal Elasticsearch would make of a document, or undefined. With `previous`, the
 * state the document was folded from, only the fields that changed are checked.
 */
export function mappingCheck(
  properties: Record<string, unknown>,
): (doc: object, previous?: object | null) => Refusal | undefined {
  const check = objectCheck(properties as Record<string, Record<string, unknown>>, true);
  return (doc, previous) => check(doc, '', previous as Readonly<Record<string, unknown>> | null | undefined);
}
