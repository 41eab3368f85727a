import { describe, expect, it } from 'vitest';
import {
  encodeCheckpointNotice,
  parseCheckpointNotice,
} from '../../../../../projectors/engine/commit/checkpoint-notice.ts';

describe('checkpoint notices', () => {
  const notice = {
    projection: 'orders',
    generation: 3,
    partition: 0,
    positions: { ORDERS: 41, PAYMENTS: 7 },
  };

  /** As the commit's SQL sends it: its schema, a space, the JSON. */
  const sent = (schema: string, json: string) => `${schema} ${json}`;

  it('round-trips a commit checkpoint within an installation', () => {
    expect(parseCheckpointNotice(sent('shop', encodeCheckpointNotice(notice)), 'shop')).toEqual(notice);
    expect(parseCheckpointNotice(sent('public', encodeCheckpointNotice(notice)), 'public')).toEqual(notice);
  });

  it("reads nothing from another installation's notice, though its projection has the same name", () => {
    const json = encodeCheckpointNotice(notice);
    expect(parseCheckpointNotice(sent('other', json), 'shop')).toBeUndefined();
    expect(parseCheckpointNotice(sent('shop_2', json), 'shop')).toBeUndefined();
    expect(parseCheckpointNotice(json, 'shop')).toBeUndefined();
  });

  it('says only the name when the notice would pass the size PostgreSQL allows a payload', () => {
    const positions = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`STREAM_${i}_${'X'.repeat(20)}`, i]),
    );
    const payload = encodeCheckpointNotice({ ...notice, positions });
    expect(payload).toBe('orders');
    expect(parseCheckpointNotice(sent('shop', payload), 'shop')).toBeUndefined();
  });

  it('reads nothing from a bare name, broken JSON or a payload of the wrong shape', () => {
    for (const payload of [
      undefined,
      '',
      'orders',
      '{',
      '{"projection":"orders"}',
      '[]',
      'null',
      JSON.stringify({ ...notice, generation: '3' }),
      JSON.stringify({ ...notice, generation: 1.5 }),
      JSON.stringify({ ...notice, partition: null }),
      JSON.stringify({ ...notice, positions: [1, 2] }),
      JSON.stringify({ ...notice, positions: { ORDERS: -1 } }),
      JSON.stringify({ ...notice, positions: { ORDERS: 2 ** 60 } }),
      JSON.stringify({ ...notice, positions: { ORDERS: '41' } }),
      `{"projection":"orders\u0000","generation":1e400,"partition":0,"positions":{}}`,
    ]) {
      expect(parseCheckpointNotice(payload, 'shop')).toBeUndefined();
      if (payload !== undefined) expect(parseCheckpointNotice(sent('shop', payload), 'shop')).toBeUndefined();
    }
  });
});
