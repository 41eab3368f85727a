/**
 * CloudEvents 1.0 context attributes: what Vista publishes, and how an incoming event's are
 * checked. The check is written by hand rather than with zod: it runs for every event on
 * every stream, and a schema library spent more on the envelope (4.3 µs per event) than on
 * the event's own data; messages name the attribute and what is wrong with it all the same.
 * `data` is not checked here: the event type's own (zod) schema parses it.
 */

import { PoisonEventError } from './poison-event.ts';
import { daysIn, digits, isCanonicalUtc } from './storable.ts';

/** CloudEvents 1.0 as Vista publishes it: the JSON event format (structured mode), every attribute filled. */
export interface Envelope {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** The aggregate id. */
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: unknown;
}

/** An extension attribute's value, in the CloudEvents type system (Boolean, Integer, String…). */
export type ExtensionValue = string | number | boolean;

/** An incoming event's context attributes, checked against CloudEvents 1.0. */
export interface Attributes {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** Absent when the producer sent none (CloudEvents makes it optional). */
  readonly subject: string | undefined;
  /** Normalised to UTC (`…Z`); absent when the producer sent none. */
  readonly time: string | undefined;
  readonly datacontenttype: string | undefined;
  readonly dataschema: string | undefined;
  /** Every other attribute, by name. */
  readonly extensions: Readonly<Record<string, ExtensionValue>> | undefined;
}

/** Where an event sits in the log: what checkpoints, dead letters and read-your-writes speak of. */
export interface Position {
  readonly stream: string;
  readonly sequence: number;
}

// Lengths that every place an attribute is stored or shown can take (dead letters, logs, traces).
const MAX_ID = 200;
const MAX_SOURCE = 500;
const MAX_TYPE = 200;
const MAX_SUBJECT = 200;
const MAX_OTHER = 2000;
const EXTENSION_NAME = /^[a-z0-9]+$/;
const INT32 = 2 ** 31;

/**
 * Reads and checks the context attributes among `members` (a JSON event's members, or the
 * attributes a binary-mode message carries as headers); `data` and `data_base64` are left to
 * the caller. A `null` member counts as absent, as the JSON event format says. Throws an
 * INVALID_ENVELOPE PoisonEventError naming each problem (up to five).
 */
export function readAttributes(members: Readonly<Record<string, unknown>>): Attributes {
  let specversion: unknown;
  let id: unknown;
  let source: unknown;
  let type: unknown;
  let subject: unknown;
  let time: unknown;
  let datacontenttype: unknown;
  let dataschema: unknown;
  let extensions: Record<string, ExtensionValue> | undefined;
  // Plain statements, no closures: this runs for every event, and closures cost more than the checks.
  let problems: string[] | undefined;
  for (const name in members) {
    const value = members[name];
    if (value === null || value === undefined) continue;
    switch (name) {
      case 'specversion':
        specversion = value;
        break;
      case 'id':
        id = value;
        break;
      case 'source':
        source = value;
        break;
      case 'type':
        type = value;
        break;
      case 'subject':
        subject = value;
        break;
      case 'time':
        time = value;
        break;
      case 'datacontenttype':
        datacontenttype = value;
        break;
      case 'dataschema':
        dataschema = value;
        break;
      case 'data':
      case 'data_base64':
        break;
      default: {
        const problem = EXTENSION_NAME.test(name)
          ? extensionProblem(value)
          : 'attribute names are lower-case letters and digits (CloudEvents 1.0)';
        if (problem) problems = report(problems, name, problem);
        else {
          extensions ??= {};
          extensions[name] = value as ExtensionValue;
        }
      }
    }
  }
  if (specversion !== '1.0')
    problems = report(
      problems,
      'specversion',
      specversion === undefined ? 'required' : `must be "1.0", got ${JSON.stringify(specversion)}`,
    );
  let problem = id === undefined ? 'required' : textProblem(id, MAX_ID);
  if (problem) problems = report(problems, 'id', problem);
  problem = source === undefined ? 'required' : textProblem(source, MAX_SOURCE);
  if (problem) problems = report(problems, 'source', problem);
  problem = type === undefined ? 'required' : textProblem(type, MAX_TYPE);
  if (problem) problems = report(problems, 'type', problem);
  problem = subject === undefined ? undefined : textProblem(subject, MAX_SUBJECT);
  if (problem) problems = report(problems, 'subject', problem);
  problem = datacontenttype === undefined ? undefined : textProblem(datacontenttype, MAX_OTHER);
  if (problem) problems = report(problems, 'datacontenttype', problem);
  problem = dataschema === undefined ? undefined : textProblem(dataschema, MAX_OTHER);
  if (problem) problems = report(problems, 'dataschema', problem);
  let utc: string | undefined;
  if (time !== undefined) {
    problem = typeof time === 'string' ? timeProblem(time) : `must be a string, got ${kindOf(time)}`;
    if (problem) problems = report(problems, 'time', problem);
    else {
      utc = toUtc(time as string);
      if (utc === undefined) problems = report(problems, 'time', 'must fall in the years 0001–9999 (UTC)');
    }
  }
  if (problems)
    throw new PoisonEventError(
      'INVALID_ENVELOPE',
      `not a CloudEvent: ${problems.slice(0, 5).join('; ')}`,
      typeof type === 'string' ? type : undefined,
    );
  return {
    id: id as string,
    source: source as string,
    type: type as string,
    subject: subject as string | undefined,
    time: utc,
    datacontenttype: datacontenttype as string | undefined,
    dataschema: dataschema as string | undefined,
    extensions,
  };
}

function report(problems: string[] | undefined, name: string, problem: string): string[] {
  const list = problems ?? [];
  list.push(`${name}: ${problem}`);
  return list;
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

function textProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${kindOf(value)}`;
  if (value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters, has ${value.length}`;
  return stringProblem(value);
}

function extensionProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return stringProblem(value);
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isInteger(value) && value >= -INT32 && value < INT32
        ? undefined
        : `${value} is no CloudEvents Integer (a whole number from -2^31 to 2^31-1)`;
    default:
      return `must be a string, a boolean or an integer, got ${kindOf(value)}`;
  }
}

// Any character CloudEvents strings may not hold might be here: a control character, a
// surrogate (allowed only as a pair), or a noncharacter. The scan below says which.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const SUSPECT = /[\u0000-\u001F\u007F-\u009F\uD800-\uDFFF\uFDD0-\uFDEF\uFFFE\uFFFF]/;

/**
 * What makes `value` no CloudEvents String: a control character (U+0000–U+001F, U+007F–U+009F),
 * a surrogate outside a pair, or a noncharacter. A NUL would also fail every PostgreSQL text
 * column a dead letter or a view stores it in.
 */
export function stringProblem(value: string): string | undefined {
  if (!SUSPECT.test(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const at = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return `contains the control character ${at}`;
    if ((c >= 0xfdd0 && c <= 0xfdef) || c >= 0xfffe) return `contains the noncharacter ${at}`;
    if (c >= 0xdc00 && c <= 0xdfff) return `contains a lone surrogate ${at}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = value.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return `contains a lone surrogate ${at}`;
      const point = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      if ((point & 0xfffe) === 0xfffe)
        return `contains the noncharacter U+${point.toString(16).toUpperCase()}`;
      i++;
    }
  }
  return undefined;
}

// RFC 3339 date-time: seconds required, a zone required, `T`/`Z` in either case.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** What makes `time` no RFC 3339 date-time of a real day, or undefined. */
function timeProblem(time: string): string | undefined {
  if (isCanonicalUtc(time)) {
    // Digits at fixed places: read by arithmetic, no match array (this runs for every event).
    const year = digits(time, 0) * 100 + digits(time, 2);
    return dateTimeProblem(
      year,
      digits(time, 5),
      digits(time, 8),
      digits(time, 11),
      digits(time, 14),
      digits(time, 17),
      time,
    );
  }
  const match = RFC3339.exec(time);
  if (!match) return 'must be an RFC 3339 date-time with seconds and a zone, e.g. 2026-01-01T00:00:00Z';
  const [, y, mo, d, h, mi, s, zh, zm] = match;
  if (zh !== undefined && (Number(zh) > 23 || Number(zm) > 59))
    return `zone offset ${zh}:${zm} does not exist`;
  return dateTimeProblem(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), time);
}

function dateTimeProblem(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  time: string,
): string | undefined {
  if (year < 1) return 'year 0000 is outside 0001–9999';
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month))
    return `day ${time.slice(0, 10)} does not exist`;
  if (second === 60) return 'a leap second (:60) cannot be stored as a time';
  if (hour > 23 || minute > 59 || second > 59) return `time of day ${time.slice(11, 19)} does not exist`;
  return undefined;
}

/**
 * A checked time in UTC (`…Z`, milliseconds), so that views comparing or bucketing times agree
 * whatever zone the producer wrote; undefined when the instant falls outside the years
 * 0001–9999 that PostgreSQL `timestamptz`, GraphQL `DateTime` strings and ISO-8601 share.
 */
function toUtc(time: string): string | undefined {
  // Already in UTC with milliseconds, as Vista publishes it (and 0001–9999 as written): as is.
  if (isCanonicalUtc(time)) return time;
  const utc = new Date(time.toUpperCase()).toISOString();
  return /^\d{4}-/.test(utc) && !utc.startsWith('0000-') ? utc : undefined;
}

/** A `datacontenttype` read as RFC 2046 media type: whether it declares JSON, and its charset. */
export interface MediaType {
  /** `*\/json` or `*\/*+json`, whatever the parameters (the JSON event format's rule). */
  readonly json: boolean;
  /** The `charset` parameter, lower case, when there is one. */
  readonly charset: string | undefined;
}

const APPLICATION_JSON: MediaType = { json: true, charset: undefined };
const TOKEN = "[a-z0-9!#$%&'*+.^_`|~-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const PARAMETER = new RegExp(`^(${TOKEN})=(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")$`);

/** Reads a `datacontenttype`; undefined when it is not a media type. Case-insensitive, as RFC 2045 says. */
export function mediaType(value: string): MediaType | undefined {
  if (value === 'application/json') return APPLICATION_JSON;
  const [essence = '', ...parameters] = value.split(';');
  const match = MEDIA_TYPE.exec(essence.trim().toLowerCase());
  if (!match) return undefined;
  const subtype = match[2] as string;
  let charset: string | undefined;
  for (const parameter of parameters) {
    const trimmed = parameter.trim();
    if (trimmed === '') continue;
    const [, name, raw = ''] = PARAMETER.exec(trimmed.toLowerCase()) ?? [];
    if (name === undefined) return undefined;
    if (name === 'charset') charset = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return { json: subtype === 'json' || subtype.endsWith('+json'), charset };
}
