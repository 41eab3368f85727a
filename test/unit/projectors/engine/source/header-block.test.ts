import { headers as natsHeaders } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import {
  HeaderBlock,
  parseHeaderBlock,
  traceparentOf,
} from '../../../../../projectors/engine/source/header-block.ts';

/** nats.js's own reading of a header block (MsgHdrsImpl.decode), as plain pairs; thrown errors kept. */
function natsReading(block: string): [string, string[]][] | Error {
  const decode = (
    natsHeaders().constructor as unknown as { decode(b: Uint8Array): Iterable<[string, string[]]> }
  ).decode;
  try {
    return [...decode(new TextEncoder().encode(block))].map(([name, values]) => [name, [...values]]);
  } catch (error) {
    return error as Error;
  }
}

const ours = (block: string) => parseHeaderBlock(block);

describe('parseHeaderBlock', () => {
  it('reads blocks as nats.js does: status line, repeated names, colons and spaces in values, UTF-8', () => {
    const blocks = [
      'NATS/1.0\r\n\r\n',
      'NATS/1.0\r\nNats-Msg-Id: abc\r\n\r\n',
      'NATS/1.0 503 No Responders\r\nA: 1\r\n\r\n',
      'NATS/1.0\r\nX-Twice: a\r\nX-Twice:  b \r\nx-twice: c:d\r\nEmpty:\r\n\r\n',
      'NATS/1.0\r\nno colon here\r\nce-subject: café 😀 %C3%A9\r\n\r\n',
      'NATS/1.0\r\n:nameless\r\nTrailing: no final CRLF',
      'NATS/1.0',
      '',
    ];
    for (const block of blocks) expect(ours(block), JSON.stringify(block)).toEqual(natsReading(block));
  });

  it('matches nats.js on generated blocks wherever nats.js reads them, and reads the rest', () => {
    const names = ['A', 'a', 'ce-id', 'CE-ID', 'Content-Type', 'traceparent', 'X', ''];
    const values = ['', ' ', 'v', ' padded ', 'x:y', 'é', '"quoted"', '%20'];
    let seed = 7;
    const pick = <T>(from: readonly T[]): T => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return from[seed % from.length] as T;
    };
    let compared = 0;
    for (let i = 0; i < 2000; i++) {
      const lines = Array.from({ length: 1 + (i % 6) }, () => `${pick(names)}:${pick(values)}`);
      const block = `NATS/1.0\r\n${lines.join('\r\n')}\r\n\r\n`;
      const theirs = natsReading(block);
      if (theirs instanceof Error) continue;
      expect(ours(block), JSON.stringify(block)).toEqual(theirs);
      compared++;
    }
    expect(compared).toBeGreaterThan(1500);
  });

  it('keeps what nats.js throws on: a name outside printable ASCII, a lone LF in a value', () => {
    for (const block of [
      'NATS/1.0\r\nBad Name: x\r\n\r\n',
      'NATS/1.0\r\nNåme: x\r\n\r\n',
      'NATS/1.0\r\nA: x\ny\r\n\r\n',
    ]) {
      expect(natsReading(block)).toBeInstanceOf(Error);
      expect(ours(block)).toHaveLength(1);
    }
    expect(ours('NATS/1.0\r\nA: x\ny\r\n\r\n')).toEqual([['A', ['x\ny']]]);
  });

  it('reads a megabyte block in time linear in its size: distinct names, and lines without a colon', () => {
    // Read by a scan of the names so far per name, the first block took 39 s here: a reader
    // stalled by one message. Searched for a colon afresh per line, the second took 0.6 s.
    const names = `NATS/1.0\r\n${Array.from({ length: 100_000 }, (_, i) => `H${i}: v`).join('\r\n')}\r\nH7: w\r\n\r\n`;
    const colonless = `NATS/1.0\r\n${Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\r\n')}\r\nLast: v\r\n\r\n`;
    const started = performance.now();
    const many = ours(names);
    expect(ours(colonless)).toEqual([['Last', ['v']]]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(many).toHaveLength(100_000);
    expect(many[7]).toEqual(['H7', ['v', 'w']]);
  });
});

describe('HeaderBlock', () => {
  it('reads as parseHeaderBlock does, afresh each time: nothing parsed stays with the message', () => {
    const block = new HeaderBlock('NATS/1.0\r\nce-id: 1\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n');
    const first = [...block];
    expect(first).toEqual(parseHeaderBlock(block.text));
    const again = [...block];
    expect(again).toEqual(first);
    expect(again[0]).not.toBe(first[0]);
  });
});

describe('traceparentOf', () => {
  it('finds in the text of a block what it finds in the reading of it', () => {
    const blocks = [
      'NATS/1.0\r\ntraceparent: 00-a\r\n\r\n',
      'NATS/1.0\r\nTraceParent:   00-b  \r\nTRACEPARENT: 00-c\r\n\r\n',
      'NATS/1.0\r\nX: 1\r\ntraceparent:00-d',
      'NATS/1.0\r\ntraceparent:\r\ntraceparent: 00-e\r\n\r\n',
      'NATS/1.0\r\ntraceparent : 00-f\r\n\r\n',
      'NATS/1.0\r\nx-traceparent: 00-g\r\nA: traceparent: 00-h\r\n\r\n',
      'NATS/1.0\r\nA: x\ntraceparent: 00-i\r\n\r\n',
      'NATS/1.0\r\ntraceparent: 00-j\nk \r\n\r\n',
      'traceparent: 00-k\r\n\r\n',
      'NATS/1.0\r\n\r\n',
      '',
    ];
    const found = blocks.map((block) => traceparentOf(new HeaderBlock(block)));
    expect(found).toEqual(blocks.map((block) => traceparentOf(parseHeaderBlock(block))));
    expect(found.filter(Boolean)).toEqual(['00-a', '00-b', '00-d', '00-j\nk']);
  });

  it('finds the trace context under any case of its name, first value first', () => {
    expect(traceparentOf([['Traceparent', ['00-a', '00-b']]])).toBe('00-a');
    expect(traceparentOf([['TRACEPARENT', ['00-c']]])).toBe('00-c');
    expect(traceparentOf([['traceparent', ['']]])).toBeUndefined();
    expect(traceparentOf([['tracestate', ['x']]])).toBeUndefined();
    expect(traceparentOf(undefined)).toBeUndefined();
  });
});
