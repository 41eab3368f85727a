/**
 * The CloudEvents NATS protocol binding: how a NATS message carries a CloudEvent. Followed as
 * cloudevents/spec's `cloudevents/bindings/nats-protocol-binding.md` states it (version
 * 1.0.3-wip, unchanged since 2024-03-14; the released 1.0.2 knows structured mode only):
 *
 * - *structured* mode: the JSON event format is the payload; the `Content-Type` header, when
 *   present, is `application/cloudevents+json`;
 * - *binary* mode: each attribute is a header `ce-<name>` (names case-insensitive, values
 *   percent-encoded, §3.1.3), `datacontenttype` included; `data` is the payload.
 *
 * The binding reads a message without `Content-Type: application/cloudevents…` as binary. A
 * message with no CloudEvents header at all (neither that nor any `ce-` header), as Vista's
 * publishers sent them before and as every broker before NATS 2.2 delivers them, can only be a
 * structured one (binary mode has no required attributes without headers): Vista reads it so.
 */
import { PoisonEventError } from './poison-event.ts';

/**
 * A NATS message's headers: each name with its values, as nats.js's `MsgHdrs` iterates them
 * (a `Map<string, string[]>` will do in tests).
 */
export type MessageHeaders = Iterable<readonly [string, readonly string[]]>;

export type ContentMode = 'structured' | 'binary';

/** The `Content-Type` Vista gives the events it publishes: the JSON event format, structured mode. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

const PREFIX = 'ce-';

/** Whether a header name starts with `ce-`, in any case, without allocating a lower-case copy. */
function isAttributeHeader(name: string): boolean {
  return (
    name.length > 3 &&
    (name.charCodeAt(0) | 0x20) === 0x63 &&
    (name.charCodeAt(1) | 0x20) === 0x65 &&
    name.charCodeAt(2) === 0x2d
  );
}

/**
 * Headers that hold their raw NATS header block (`NATS/1.0\r\nName: value\r\n…`) as `text`, as the
 * engine's readers hand them on (projectors/engine/source/header-block.ts).
 */
interface RawHeaderBlock {
  readonly text: string;
}

const ATTRIBUTE_LINE = /\r\nce-/i;
const CONTENT_TYPE_LINE = /\r\ncontent-type:([^\r\n]*)/gi;

/**
 * Whether a raw header block says structured mode as Vista's publishers write it: no `ce-`
 * header, and no `Content-Type` or one that is Vista's own. Read off the text: parsing every
 * message's block into names and values was 7.5% of what a catch-up of `orders` allocated.
 * False means "look closer", not "binary".
 */
function plainlyStructured(text: string): boolean {
  if (ATTRIBUTE_LINE.test(text)) return false;
  CONTENT_TYPE_LINE.lastIndex = 0;
  const first = CONTENT_TYPE_LINE.exec(text);
  if (first === null) return true;
  return first[1]?.trim() === STRUCTURED_CONTENT_TYPE && CONTENT_TYPE_LINE.exec(text) === null;
}

/**
 * How `headers` say the message carries its event. Throws for a structured event in a format
 * other than JSON, or a batch (the binding defines no batched mode).
 */
export function contentMode(headers: MessageHeaders | undefined): ContentMode {
  if (headers === undefined) return 'structured';
  const { text } = headers as Partial<RawHeaderBlock>;
  if (typeof text === 'string' && plainlyStructured(text)) return 'structured';
  let contentType: string | undefined;
  let binary = false;
  for (const [name, values] of headers) {
    if (isAttributeHeader(name)) binary = true;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') contentType = values[0];
  }
  if (contentType === undefined || contentType === STRUCTURED_CONTENT_TYPE)
    return binary && contentType === undefined ? 'binary' : 'structured';
  const format = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!format.startsWith('application/cloudevents')) return binary ? 'binary' : 'structured';
  if (format === 'application/cloudevents+json' || format === 'application/cloudevents') return 'structured';
  throw new PoisonEventError(
    'UNSUPPORTED_CONTENT_TYPE',
    format.startsWith('application/cloudevents-batch')
      ? `Content-Type ${contentType}: the NATS binding has no batched mode; publish one event per message`
      : `Content-Type ${contentType}: Vista reads the JSON event format (application/cloudevents+json)`,
  );
}

/**
 * A binary-mode message's attributes, by name (lower case), decoded from their `ce-` headers.
 * An attribute given twice (two values, or two headers differing in case only) or a value that
 * does not decode is an INVALID_ENVELOPE.
 */
export function binaryAttributes(headers: MessageHeaders): Record<string, string> {
  // No prototype: a header named `ce-__proto__` is an attribute like any other (and refused as one).
  const attributes: Record<string, string> = Object.create(null);
  const problems: string[] = [];
  for (const [key, values] of headers) {
    if (!isAttributeHeader(key)) continue;
    const name = key.slice(PREFIX.length).toLowerCase();
    if (values.length !== 1 || name in attributes) {
      problems.push(`${name}: given more than once (header ${key})`);
      continue;
    }
    const value = decodeHeaderValue(values[0] as string);
    if (value === undefined) problems.push(`${name}: header ${key} is not validly percent-encoded UTF-8`);
    else attributes[name] = value;
  }
  if (problems.length > 0)
    throw new PoisonEventError('INVALID_ENVELOPE', `not a CloudEvent: ${problems.slice(0, 5).join('; ')}`);
  return attributes;
}

/**
 * A header value as an attribute value (§3.1.3.2): a double-quoted string unescaped first
 * (older versions of the binding allowed them), then one round of percent-decoding, where
 * bytes that are not UTF-8 (an overlong `%C0%A0` too) make it undefined.
 */
export function decodeHeaderValue(value: string): string | undefined {
  let text = value;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"'))
    text = text.slice(1, -1).replace(/\\(.)/g, '$1');
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * An attribute value as a header value (§3.1.3.2): space, `"`, `%` and every character outside
 * printable ASCII percent-encoded as its UTF-8 bytes.
 */
export function encodeHeaderValue(value: string): string {
  let encoded = '';
  for (const character of value) {
    const code = character.codePointAt(0) as number;
    // encodeURIComponent writes a character's UTF-8 bytes as upper-case %XY.
    encoded +=
      code > 0x20 && code < 0x7f && character !== '"' && character !== '%'
        ? character
        : encodeURIComponent(character);
  }
  return encoded;
}

/**
 * The headers of a binary-mode message for an event's attributes (all but `data`): what a
 * publisher sends, with `data` as the payload. Absent attributes are left out.
 *
 * ```ts
 * binaryHeaders({ specversion: '1.0', id: 'e1', source: '/bank', type: 'bank.deposited.v1' });
 * // → { 'ce-specversion': '1.0', 'ce-id': 'e1', 'ce-source': '/bank', 'ce-type': 'bank.deposited.v1' }
 * ```
 */
export function binaryHeaders(attributes: Readonly<Record<string, unknown>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'data' || value === undefined || value === null) continue;
    headers[`${PREFIX}${name}`] = encodeHeaderValue(String(value));
  }
  return headers;
}
