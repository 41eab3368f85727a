import { describe, expect, it } from 'vitest';
import {
  filterTypeDefs,
  kindOf,
  kindOfColumn,
} from '../../../../../../projectors/engine/definition/fields/kinds.ts';
import { operatorNamed } from '../../../../../../projectors/engine/definition/fields/operators.ts';
import { InvalidInputError } from '../../../../../../projectors/engine/definition/fields/values.ts';

const STATUS = { enum: 'Status', description: 'A status.', values: { OPEN: 'Open.', SHUT: 'Shut.' } };

describe('field kinds', () => {
  it('each kind says its GraphQL type, its filter input and its column', () => {
    expect(
      (['id', 'string', 'int', 'long', 'float', 'boolean', 'timestamp', 'date'] as const).map((k) => [
        kindOf(k).graphqlType(k),
        kindOf(k).filterInput(k),
        kindOf(k).postgres.column,
      ]),
    ).toEqual([
      ['ID', 'IDFilter', 'text'],
      ['String', 'StringFilter', 'text'],
      ['Int', 'IntFilter', 'integer'],
      ['Long', 'LongFilter', 'bigint'],
      ['Float', 'FloatFilter', 'double precision'],
      ['Boolean', 'BooleanFilter', 'boolean'],
      ['String', 'TimestampFilter', 'timestamptz'],
      ['Date', 'DateFilter', 'date'],
    ]);
    expect(kindOf(STATUS).graphqlType(STATUS)).toBe('Status');
    expect(kindOf(STATUS).typeDefs?.(STATUS)).toBe(
      '"A status."\nenum Status {\n  "Open." OPEN\n  "Shut." SHUT\n}',
    );
  });

  it('a filter input lists the operators its kind offers, in order', () => {
    expect(filterTypeDefs(STATUS)).toBe(
      [
        '"Conditions on a Status field; all that are given must hold."',
        'input StatusFilter {',
        '  "Equal to this Status." eq: Status',
        '  "Not equal to this Status (null values match)." ne: Status',
        '  "One of these Status values (at most 100)." in: [Status!]',
        '}',
      ].join('\n'),
    );
    expect(filterTypeDefs('timestamp')).toContain('"Less than this time (ISO-8601 with a zone)." lt: String');
    expect(filterTypeDefs('boolean')).not.toContain(' lt: ');
  });

  it('a bare column is served as the kind that claims it', () => {
    expect(['text', 'integer', 'bigint', 'boolean', 'timestamptz', 'jsonb'].map(kindOfColumn)).toEqual([
      'string',
      'int',
      'long',
      'boolean',
      'timestamp',
      undefined,
    ]);
  });

  it('a string is mapped as a keyword, in full text as text, with a keyword when also exact', () => {
    const { mapping } = kindOf('string').elasticsearch;
    expect(mapping({ searched: false, exact: true })).toEqual({ type: 'keyword' });
    expect(mapping({ searched: true, exact: false })).toEqual({ type: 'text' });
    expect(mapping({ searched: true, exact: true })).toEqual({
      type: 'text',
      fields: { keyword: { type: 'keyword', ignore_above: 256 } },
    });
  });

  it('checks filter values as the client sent them: a time needs a zone, null needs isNull', () => {
    expect(() => kindOf('timestamp').value('placedAt', '2026-01-01')).toThrow(InvalidInputError);
    expect(kindOf('timestamp').value('placedAt', '2026-01-01T00:00:00Z')).toBe('2026-01-01T00:00:00Z');
    expect(() => kindOf('long').value('total', null)).toThrow(/use isNull/);
    const notIn = operatorNamed('notIn');
    expect(() => notIn?.operand('total', 1, (v) => v as number)).toThrow(/takes a list/);
  });
});
