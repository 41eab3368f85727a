import type { Msg } from '@nats-io/transport-node';

/**
 * A message's NATS headers as name and values, names as sent, in the order they first came;
 * values of a name given twice (same case) under one entry, as nats.js groups them. It is the
 * binding's MessageHeaders.
 */
export type HeaderList = [name: string, values: string[]][];

const decoder = new TextDecoder();

/**
 * The headers of a NATS header block (`NATS/1.0[ status]\r\nName: value\r\n…\r\n\r\n`), read as
 * nats.js's `MsgHdrsImpl.decode` reads them (the status line skipped: a stored message has
 * none; a line without a colon ignored; the value trimmed), at a quarter of its cost: it
 * canonicalises every name to throw it away, and looks up each name through a fresh array of all
 * of them. Unlike it, a name outside printable ASCII or a value holding a lone CR or LF is kept,
 * not thrown from the reader: the event is the binding's to judge, and a reader that throws
 * would stop the whole projection at a message it could never get past.
 */
export function parseHeaderBlock(text: string): HeaderList {
  const list: HeaderList = [];
  // Names looked up by a scan while they are few (the usual two or three), by a map beyond:
  // a block of a megabyte of distinct names must not cost a scan per name (seconds per message).
  let byName: Map<string, string[]> | undefined;
  let at = text.indexOf('\r\n');
  if (at < 0) return list;
  at += 2;
  // The next colon from `at` on, kept across lines without one: searched afresh for each line,
  // many such lines before a colon far on would cost a search to it per line.
  let colon = -1;
  while (at < text.length) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = text.length;
    if (colon !== Number.POSITIVE_INFINITY && colon < at) {
      colon = text.indexOf(':', at);
      if (colon < 0) colon = Number.POSITIVE_INFINITY;
    }
    if (colon < end) {
      const name = text.slice(at, colon);
      const value = text.slice(colon + 1, end).trim();
      const values = byName ? byName.get(name) : scan(list, name);
      if (values) values.push(value);
      else {
        const first = [value];
        list.push([name, first]);
        if (byName) byName.set(name, first);
        else if (list.length > SCANNED_NAMES) byName = new Map(list);
      }
    }
    at = end + 2;
  }
  return list;
}

const SCANNED_NAMES = 8;

function scan(list: HeaderList, name: string): string[] | undefined {
  for (const entry of list) if (entry[0] === name) return entry[1];
  return undefined;
}

/**
 * nats.js 3.3's message internals that hold its raw header block: `hdr` is the block's length
 * in `_rdata` (the payload follows it), or -1 without headers.
 */
interface RawCoreMessage {
  readonly _msg?: { readonly hdr?: unknown };
  readonly _rdata?: unknown;
}

/**
 * `message`'s headers, read from its raw header block when nats.js's internals hold one as 3.3
 * does (package.json pins it; test/integration/ordered-source.test.ts fails when they
 * change), else through its own parser.
 */
export function headersOf(message: Msg): RawHeaders | undefined {
  const core = message as unknown as RawCoreMessage;
  const hdr = core._msg?.hdr;
  const data = core._rdata;
  if (typeof hdr === 'number' && (data instanceof Uint8Array || (hdr === -1 && data === undefined))) {
    return hdr > -1 ? new HeaderBlock(blockText(data as Uint8Array, hdr)) : undefined;
  }
  fellBack = true;
  const headers = message.headers;
  return headers ? Array.from(headers, ([name, values]) => [name, [...values]]) : undefined;
}

/** The first `length` bytes of `data` as text, without a view of them where `data` is a Buffer (as nats.js's Node transport reads). */
const blockText = (data: Uint8Array, length: number): string =>
  Buffer.isBuffer(data) ? data.toString('utf8', 0, length) : decoder.decode(data.subarray(0, length));

let fellBack = false;

/** Whether `headersOf` had to ask nats.js for a message's headers (a test sees the fast path kept). */
export const headersFellBack = (): boolean => fellBack;

/**
 * A message's headers kept as the text of its header block, read each time they are iterated.
 * A message waits in its batch until the batch is decoded and folded, and a catch-up allocates
 * enough meanwhile that the young generation is collected several times: parsed once, as a list
 * of names, value arrays and strings, its headers were 45% of what survived those collections
 * in `orders` (copied, then promoted, then collected again in the old generation). Parsed
 * when the event is decoded, they die young. The text crosses threads as it is.
 */
export class HeaderBlock implements Iterable<[name: string, values: string[]]> {
  constructor(readonly text: string) {}

  [Symbol.iterator](): Iterator<[name: string, values: string[]]> {
    return parseHeaderBlock(this.text)[Symbol.iterator]();
  }
}

/** A message's headers as a reader hands them on: its block's text, or nats.js's reading of it. */
export type RawHeaders = HeaderBlock | HeaderList;

/** The first header line named `traceparent` in any case, its value up to the line's end (CRLF). */
const TRACEPARENT_LINE = /\r\ntraceparent:([\s\S]*?)(?:\r\n|$)/i;

/** The W3C trace context among `headers`: `traceparent` in any case, as HTTP names go. */
export function traceparentOf(headers: RawHeaders | undefined): string | undefined {
  if (headers === undefined) return undefined;
  // Found in the block's text, so that reading a message does not parse its headers.
  if (headers instanceof HeaderBlock) return TRACEPARENT_LINE.exec(headers.text)?.[1]?.trim() || undefined;
  for (const [name, values] of headers) {
    if (name.length === 11 && name.toLowerCase() === 'traceparent') return values[0] || undefined;
  }
  return undefined;
}
