import { describe, expect, it } from 'vitest';
import { doBlock, literal } from '../../../../shared/clients/sql-literals.ts';

describe('literal', () => {
  it('quotes text the way PostgreSQL reads it back, quotes and backslashes included', () => {
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('a\\b')).toBe(" E'a\\\\b'");
  });

  it('writes null and undefined as NULL, numbers and booleans as quoted text', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(undefined)).toBe('NULL');
    expect(literal(42)).toBe("'42'");
    expect(literal(true)).toBe("'true'");
  });

  it('writes arrays as node-postgres sends them (an array literal, elements quoted)', () => {
    expect(literal(['a', 'b', null])).toBe(`'{"a","b",NULL}'`);
    // The element's quote is escaped for the array, that backslash for the string.
    expect(literal(['b"c'])).toBe(String.raw` E'{"b\\"c"}'`);
  });

  it('writes bytes as hex', () => {
    expect(literal(Buffer.from([0, 255]))).toBe(" E'\\\\x00ff'");
  });

  it('refuses NUL in text as PostgreSQL refuses it, a data exception (SQLSTATE 22021)', () => {
    expect(() => literal('a\u0000b')).toThrow(expect.objectContaining({ code: '22021' }));
  });
});

describe('doBlock', () => {
  it('picks a dollar-quote tag that its body does not contain', () => {
    expect(doBlock('BEGIN PERFORM 1; END')).toBe('DO $vista$ BEGIN PERFORM 1; END $vista$');
    expect(doBlock("BEGIN RAISE NOTICE '$vista$'; END")).toBe(
      "DO $vista0$ BEGIN RAISE NOTICE '$vista$'; END $vista0$",
    );
  });
});
