import { describe, expect, it } from 'vitest';
import { parseMinPositions } from '../../../api/min-positions.ts';
import { shop } from '../../../examples/shop/contract.ts';
import { streamsFor } from '../../../shared/events/streams.ts';

const streams = streamsFor(shop, 't1a2b');

describe('the X-Vista-Min-Positions header', () => {
  it('reads STREAM=sequence pairs', () => {
    expect(parseMinPositions('ORDERS=1042, PAYMENTS=77', streams)).toEqual({ ORDERS: 1042, PAYMENTS: 77 });
  });

  it('reads a JSON object', () => {
    expect(parseMinPositions('{"CATALOG": 5, "ORDERS": 9}', streams)).toEqual({ CATALOG: 5, ORDERS: 9 });
  });

  it('accepts the stream name a JetStream acknowledgement carries (with the namespace)', () => {
    expect(parseMinPositions('T1A2B_ORDERS=12', streams)).toEqual({ ORDERS: 12 });
  });

  it('keeps the highest position when a stream is named twice', () => {
    expect(parseMinPositions('ORDERS=3,ORDERS=8,ORDERS=5', streams)).toEqual({ ORDERS: 8 });
  });

  it.each([
    ['', 'STREAM=sequence'],
    ['ORDERS', 'STREAM=sequence'],
    ['ORDERS=lots', 'not a stream sequence'],
    ['ORDERS=-1', 'not a stream sequence'],
    ['ORDERS=1.5', 'not a stream sequence'],
    ['ORDERS=99999999999999999', 'not a stream sequence'],
    ['SHIPMENTS=4', 'unknown stream'],
    ['OTHER_ORDERS=4', 'unknown stream'],
    ['{"ORDERS": "x"}', 'not a stream sequence'],
    ['{"ORDERS": 1', 'not valid JSON'],
    ['[1]', 'STREAM=sequence'],
  ])('refuses %j as a client error (400)', (header, problem) => {
    let error: unknown;
    try {
      parseMinPositions(header, streams);
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toContain(problem);
    expect((error as { extensions: unknown }).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      http: { status: 400 },
    });
  });
});
