/**
 * What the stores behind the views cannot hold, said before a value reaches them.
 *
 * A value that passes an event's zod schema can still fail every write that carries it:
 * PostgreSQL refuses a NUL in `text`/`jsonb` (`invalid byte sequence for encoding "UTF8": 0x00`),
 * a number beyond 2^53 − 1 is no longer exact in JavaScript, in Elasticsearch's `long` as read
 * back, or in GraphQL's `Long`, and a time outside 0001–9999 is out of range for ISO-8601 and
 * for Elasticsearch dates. Refused at decode time such an event is one dead letter that names
 * its field, instead of a batch that fails in the store and halts the projection.
 *
 * Pure: no I/O, no schema knowledge. `unstorable` walks any decoded JSON value; `checkTime`
 * is for the fields that are times (the envelope's `time`, and any a view stores as one).
 */

/** The largest integer every store and GraphQL `Long` holds exactly: 2^53 − 1. */
export const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

// A UTF-16 surrogate without its pair: JSON.parse accepts "\ud800", but it has no UTF-8 form,
// so the PostgreSQL driver would silently store U+FFFD instead — a value changed, not refused.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (no UTF-8 form)';
  return undefined;
}

function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  // Every double beyond 2^53 is an integer, so this also catches 1e300.
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return `${value} is beyond the exact integer range ±(2^53 − 1)`;
  }
  return undefined;
}

function bigintProblem(value: bigint): string | undefined {
  const limit = BigInt(MAX_EXACT_INTEGER);
  if (value > limit || value < -limit) return `${value} is beyond the exact integer range ±(2^53 − 1)`;
  return undefined;
}

function describeKey(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/**
 * The path and reason of the first value (in document order) a store cannot hold, or
 * `undefined` when all of it can be stored. Object keys are checked like strings.
 *
 * ```ts
 * unstorable({ lines: [{ sku: 'a\u0000b' }] });
 * // → 'lines[0].sku: contains a NUL character (U+0000)'
 * unstorable({ totalCents: 2 ** 53 }); // → 'totalCents: 9007199254740992 is beyond …'
 * ```
 *
 * The walk is iterative, so a deeply nested payload cannot overflow the stack.
 */
export function unstorable(value: unknown): string | undefined {
  // Nearly every value is storable: screen it first without building a path per node (the
  // walk below allocates one for each), and walk again, naming the place, only if it is not.
  return clean(value) ? undefined : firstProblem(value);
}

// A NUL, or any surrogate (a pair is fine, but then the exact walk decides).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
/** Beyond this many values the screen leaves the answer to the exact walk, which sees cycles. */
const SCREEN_LIMIT = 100_000;

/** What a store cannot hold of a string (a NUL, a lone surrogate), screened as `unstorable` screens. */
export function unstorableString(value: string): string | undefined {
  return SUSPECT.test(value) ? stringProblem(value) : undefined;
}

/** True when every value in `value` is certainly storable; false when the exact walk must say. */
function clean(value: unknown): boolean {
  const stack: unknown[] = [value];
  let visited = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    if (++visited > SCREEN_LIMIT) return false;
    switch (typeof current) {
      case 'string':
        if (SUSPECT.test(current)) return false;
        break;
      case 'number':
        if (numberProblem(current) !== undefined) return false;
        break;
      case 'bigint':
        if (bigintProblem(current) !== undefined) return false;
        break;
      case 'object':
        if (current === null) break;
        if (Array.isArray(current)) {
          for (const item of current) stack.push(item);
          break;
        }
        for (const key in current) {
          if (SUSPECT.test(key)) return false;
          stack.push((current as Record<string, unknown>)[key]);
        }
        break;
      default:
        break;
    }
  }
  return true;
}

function firstProblem(value: unknown): string | undefined {
  // Depth-first in document order: children are pushed in reverse so the first is popped first.
  const stack: { path: string; value: unknown }[] = [{ path: '', value }];
  const seen = new Set<object>();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { path, value: current } = item;
    const where = path === '' ? '(root)' : path;
    let problem: string | undefined;
    switch (typeof current) {
      case 'string':
        problem = stringProblem(current);
        break;
      case 'number':
        problem = numberProblem(current);
        break;
      case 'bigint':
        problem = bigintProblem(current);
        break;
      case 'object': {
        if (current === null || seen.has(current)) break;
        seen.add(current);
        if (Array.isArray(current)) {
          for (let i = current.length - 1; i >= 0; i--) {
            stack.push({ path: describeKey(path, i), value: current[i] });
          }
          break;
        }
        const entries = Object.entries(current);
        for (const [key] of entries) {
          const keyProblem = stringProblem(key);
          if (keyProblem) return `${where}: a key ${keyProblem}`;
        }
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, child] = entries[i] as [string, unknown];
          stack.push({ path: describeKey(path, key), value: child });
        }
        break;
      }
      default:
        break;
    }
    if (problem) return `${where}: ${problem}`;
  }
  return undefined;
}

// YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or ±HH:MM (RFC 3339). The year is taken as written,
// so that a signed or five-digit year (`+010000-…`, which Date.parse accepts) is refused.
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2}):(\d{2}))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in a month of the proleptic Gregorian calendar (0 for a month that does not exist). */
export function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Milliseconds since the epoch of a UTC wall-clock time; Date.UTC would read years 0–99 as 19xx. */
function utcInstant(year: number, month: number, day: number, minutes: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() + minutes * 60_000;
}

// The canonical UTC form (Date#toISOString, which every decoded event's time has).
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether `time` has the canonical UTC form `YYYY-MM-DDTHH:MM:SS.sssZ`, its digits at fixed places. */
export function isCanonicalUtc(time: string): boolean {
  return time.length === 24 && CANONICAL_UTC.test(time);
}

/** The two decimal digits of `text` at `at`, read by arithmetic (no substring, no match array). */
export function digits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/**
 * A time in the canonical UTC form that names a real day and time of 0001–9999: read by its
 * digits at fixed places, with no match array or Date, for the views' stored times are checked
 * at every state a batch folds. In UTC, the years as written are the instant's.
 */
function isValidCanonicalUtc(iso: string): boolean {
  if (!isCanonicalUtc(iso)) return false;
  const year = digits(iso, 0) * 100 + digits(iso, 2);
  const month = digits(iso, 5);
  const day = digits(iso, 8);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    digits(iso, 11) <= 23 &&
    digits(iso, 14) <= 59 &&
    digits(iso, 17) <= 59
  );
}

const FIRST_INSTANT = utcInstant(1, 1, 1, 0);
const END_INSTANT = utcInstant(10000, 1, 1, 0);

/**
 * Why an ISO-8601 time string cannot be stored as a time, or `undefined` when it can: it must
 * name a real calendar date and time, carry a zone (`Z` or `±hh:mm`), and lie, both as written
 * and as an instant in UTC, within the years 0001–9999.
 *
 * ```ts
 * checkTime('2026-01-01T00:00:00Z');  // → undefined
 * checkTime('0000-01-01T00:00:00Z');  // → 'year 0000 is outside 0001–9999'
 * checkTime('2026-01-01T00:00:00');   // → 'has no zone (Z or ±hh:mm)'
 * ```
 */
export function checkTime(iso: string): string | undefined {
  if (isValidCanonicalUtc(iso)) return undefined;
  const match = ISO_TIME.exec(iso);
  if (!match) return 'is not an ISO-8601 date-time (YYYY-MM-DDTHH:MM:SS and a zone)';
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '0', , zone, sign, zh = '0', zm = '0'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1 || year > 9999) return `year ${y} is outside 0001–9999`;
  if (month < 1 || month > 12) return `month ${mo} does not exist`;
  if (day < 1 || day > daysIn(year, month)) return `day ${y}-${mo}-${d} does not exist`;
  if (hour > 23 || minute > 59 || second > 59) return `time of day ${h}:${mi}:${s} does not exist`;
  if (zone === undefined) return 'has no zone (Z or ±hh:mm)';
  if (Number(zh) > 23 || Number(zm) > 59) return `zone ${zone} does not exist`;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  // Seconds and fractions cannot carry an instant across a year boundary by themselves once
  // the minute is inside it, so minutes are precise enough for the range check.
  const instant = utcInstant(year, month, day, hour * 60 + minute - offset);
  if (instant < FIRST_INSTANT || instant >= END_INSTANT) {
    return `lies, in UTC, outside the years 0001–9999`;
  }
  return undefined;
}
