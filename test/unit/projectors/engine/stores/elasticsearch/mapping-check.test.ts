import { describe, expect, it } from 'vitest';
import { mappingCheck } from '../../../../../../projectors/engine/stores/elasticsearch/mapping-check.ts';

// Every expectation below was first asked of Elasticsearch 8.19 itself (`POST index/_doc` into a
// strict index with this mapping): `refused` where it answered document_parsing_exception or
// strict_dynamic_mapping_exception, accepted where it answered `created`. Cases it takes or
// refuses in ways the check leaves to it are marked "left to Elasticsearch".
const check = mappingCheck({
  b: { type: 'boolean' },
  l: { type: 'long' },
  i: { type: 'integer' },
  by: { type: 'byte' },
  strictInt: { type: 'integer', coerce: false },
  k: { type: 'keyword' },
  kShort: { type: 'keyword', ignore_above: 256 },
  o: { properties: { x: { type: 'long' } } },
  loose: { type: 'object', dynamic: true, properties: { x: { type: 'long' } } },
  off: { type: 'object', enabled: false },
  h: { type: 'half_float' },
  f: { type: 'float' },
  d: { type: 'double' },
  t: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
  tk: { type: 'text', fields: { raw: { type: 'keyword' } } },
  when: { type: 'date' },
});
const refusal = (doc: object) => check(doc)?.type;
const big = 'x'.repeat(40_000);

describe('mappingCheck', () => {
  it('refuses what Elasticsearch refuses', () => {
    for (const doc of [
      { b: 1 },
      { b: 'yes' },
      { l: true },
      { l: 2 ** 63 },
      { l: 1.5e19 },
      { l: -(2 ** 64) },
      { i: 2 ** 31 },
      { by: 128 },
      { by: -129 },
      { strictInt: 1.5 },
      { k: { a: 1 } },
      { k: big },
      { k: 'の'.repeat(10_923) },
      { tk: big },
      { o: 'a string' },
      { o: { x: 2 ** 63 } },
      { h: 65_520 },
      { f: 3.5e38 },
      { t: { a: 1 } },
      { l: [1, true] },
      { l: [[1], [2 ** 63]] },
    ]) {
      expect([doc, refusal(doc)]).toEqual([doc, 'document_parsing_exception']);
    }
    expect(refusal({ zz: 1 })).toBe('strict_dynamic_mapping_exception');
    expect(refusal({ o: { y: 1 } })).toBe('strict_dynamic_mapping_exception');
  });

  it('takes what Elasticsearch takes', () => {
    for (const doc of [
      { b: '' },
      { b: 'true' },
      { b: [true, false] },
      { l: 9_223_372_036_854_775_000 },
      { l: -(2 ** 63) },
      { by: 127.5 },
      { by: -128.9 },
      { k: 12 },
      { k: 'の'.repeat(10_922) }, // 32,766 bytes: the largest term
      { kShort: big },
      { t: big },
      { o: [{ x: 1 }, { x: 2 }] },
      { loose: { y: 1 } },
      { off: { anything: [1, 'two', { three: 3 }] } },
      { h: 65_510 },
      { f: 3.4028235e38 },
      { d: Number.MAX_VALUE },
      { l: [[1, 2], [3]] },
      { l: null, k: undefined },
    ]) {
      expect([doc, refusal(doc)]).toEqual([doc, undefined]);
    }
  });

  it('leaves to Elasticsearch what it parses or resolves itself', () => {
    // Strings in numeric fields (coerced or refused: Elasticsearch's to say), dates in any
    // format, an integer whose fraction alone passes the range (2147483647.9 is refused, 127.5
    // for a byte is not), dotted names (paths into objects), values serialised otherwise.
    for (const doc of [
      { l: '12' },
      { l: 'twelve' },
      { when: 'not a date' },
      { i: 2_147_483_647.9 },
      { 't.keyword': 'x' },
      { o: { x: 1 }, 'o.x': 2 },
      { l: new Date(0) },
    ]) {
      expect([doc, refusal(doc)]).toEqual([doc, undefined]);
    }
  });

  it('says which field and why', () => {
    expect(check({ o: { x: 2 ** 64 } })?.reason).toBe(`o.x (long) is out of range: ${2 ** 64}`);
    expect(check({ k: 'の'.repeat(11_000) })?.reason).toBe(
      'k (keyword) holds 33000 bytes, past the 32766 a term may have',
    );
    expect(check({ b: 'yes' })?.reason).toBe(
      'b (boolean) takes true or false; it was given the string "yes"',
    );
  });

  it('checks only the fields that changed from the state a document was folded from', () => {
    const previous = { i: 1, by: 3, o: { x: 1 } };
    expect(check({ ...previous, by: 300 }, previous)?.reason).toBe('by (byte) is out of range: 300');
    // The same object in a field is the value the index took before: not checked again.
    const stored = { by: 300, o: previous.o };
    expect(check({ ...stored, i: 2 }, stored)).toBeUndefined();
    expect(check({ ...stored, i: 2 }, null)?.reason).toBe('by (byte) is out of range: 300');
    expect(check({ ...previous, extra: 1 }, previous)?.type).toBe('strict_dynamic_mapping_exception');
  });
});
