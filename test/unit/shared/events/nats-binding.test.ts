import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeaderBlock } from '../../../../projectors/engine/source/header-block.ts';
import {
  binaryAttributes,
  contentMode,
  decodeHeaderValue,
  encodeHeaderValue,
} from '../../../../shared/events/nats-binding.ts';

const headers = (entries: Record<string, string | string[]>) =>
  new Map(
    Object.entries(entries).map(([name, value]) => [name, Array.isArray(value) ? value : [value]] as const),
  );

describe('header values (NATS binding §3.1.3.2)', () => {
  it('encodes the binding’s own example', () => {
    expect(encodeHeaderValue('Euro € 😀')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80');
  });

  it('encodes space, double quote and percent, and nothing else of printable ASCII', () => {
    expect(encodeHeaderValue('a "b" 100%/x?y=z&k')).toBe('a%20%22b%22%20100%25/x?y=z&k');
  });

  it('decodes lower-case hex, unnecessary encoding and double-quoted values', () => {
    expect(decodeHeaderValue('Euro%20%e2%82%ac')).toBe('Euro €');
    expect(decodeHeaderValue('%41BC')).toBe('ABC');
    expect(decodeHeaderValue('"a \\"quoted\\" value"')).toBe('a "quoted" value');
  });

  it('refuses bytes that are not UTF-8, an overlong encoding among them', () => {
    expect(decodeHeaderValue('%C0%A0')).toBeUndefined();
    expect(decodeHeaderValue('%FF')).toBeUndefined();
    expect(decodeHeaderValue('100%')).toBeUndefined();
  });

  it('round-trips any string into printable ASCII without space or double quote', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const encoded = encodeHeaderValue(value);
        return /^[\x21\x23-\x7e]*$/.test(encoded) && decodeHeaderValue(encoded) === value;
      }),
    );
  });
});

describe('content modes (NATS binding §3)', () => {
  it('reads a message with no CloudEvents header as structured (Vista before, and NATS before 2.2)', () => {
    expect(contentMode(undefined)).toBe('structured');
    expect(contentMode(headers({ 'Nats-Msg-Id': 'x', traceparent: '00-…' }))).toBe('structured');
  });

  it('reads Content-Type application/cloudevents… as structured, and ce- headers otherwise as binary', () => {
    expect(contentMode(headers({ 'Content-Type': 'application/cloudevents+json; charset=utf-8' }))).toBe(
      'structured',
    );
    expect(contentMode(headers({ 'content-type': 'Application/CloudEvents+JSON', 'ce-id': 'x' }))).toBe(
      'structured',
    );
    expect(contentMode(headers({ 'ce-id': 'x' }))).toBe('binary');
    expect(contentMode(headers({ 'Content-Type': 'application/json', 'CE-ID': 'x' }))).toBe('binary');
  });

  it('refuses an event format other than JSON, and batches', () => {
    expect(() => contentMode(headers({ 'Content-Type': 'application/cloudevents+protobuf' }))).toThrow(
      /Vista reads the JSON event format/,
    );
    expect(() => contentMode(headers({ 'Content-Type': 'application/cloudevents-batch+json' }))).toThrow(
      /no batched mode/,
    );
  });

  it('takes attributes from ce- headers, names in lower case, other headers ignored', () => {
    const attributes = binaryAttributes(
      headers({ 'Ce-Id': 'e1', 'ce-source': '%2Fshop', 'Nats-Msg-Id': 'e1', 'ce-__proto__': 'x' }),
    );
    expect(Object.entries(attributes)).toEqual([
      ['id', 'e1'],
      ['source', '/shop'],
      ['__proto__', 'x'],
    ]);
  });
});

describe('content modes read off a raw header block', () => {
  /** contentMode's answer, or the code it threw. */
  const modeOf = (headers: Parameters<typeof contentMode>[0]) => {
    try {
      return contentMode(headers);
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  };

  it('answers as for the parsed headers, whatever the block holds', () => {
    const names = [
      'Content-Type',
      'content-type',
      'CONTENT-TYPE',
      'Content-Type ',
      'ce-id',
      'CE-Type',
      'ce-',
      'Nats-Msg-Id',
      'traceparent',
    ];
    const values = [
      'application/cloudevents+json; charset=utf-8',
      ' application/cloudevents+json; charset=utf-8 ',
      'application/cloudevents+json',
      'application/json',
      'application/cloudevents-batch+json',
      'x',
    ];
    const line = fc.oneof(
      fc
        .tuple(fc.constantFrom(...names), fc.constantFrom(...values))
        .map(([name, value]) => `${name}:${value}`),
      fc.constantFrom('no colon here', 'ce-id without colon', ''),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const block = new HeaderBlock(`NATS/1.0\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`);
        expect(modeOf(block)).toBe(modeOf([...block]));
      }),
      { numRuns: 2000 },
    );
  });
});
