import { describe, expect, it } from 'vitest';
import {
  DocumentRefusedError,
  isDataDependent,
  poisonCode,
  ViewCodeError,
} from '../../../../../projectors/engine/poison/classification.ts';

describe('isDataDependent', () => {
  const pg = (code: string) => Object.assign(new Error('x'), { code });

  it.each([
    ['a number out of range (22003)', pg('22003')],
    ['an invalid byte sequence (22021)', pg('22021')],
    ['a NUL in jsonb (22P05)', pg('22P05')],
    ['a unique violation (23505)', pg('23505')],
    ['a refused document', new DocumentRefusedError('ELASTICSEARCH_MAPPER_PARSING_EXCEPTION', 'x', ['p1'])],
    ['a view that threw', new ViewCodeError('x')],
  ])('blames the batch for %s', (_, error) => {
    expect(isDataDependent(error)).toBe(true);
  });

  it.each([
    ['a lost connection', pg('ECONNRESET')],
    ['a serialisation failure', pg('40001')],
    ['a missing table', pg('42P01')],
    ['Elasticsearch unavailable', pg('ELASTICSEARCH_UNAVAILABLE')],
    ['a plain error', new Error('x')],
  ])('does not blame the batch for %s', (_, error) => {
    expect(isDataDependent(error)).toBe(false);
  });

  it('records the SQLSTATE of a PostgreSQL refusal', () => {
    expect(poisonCode(pg('22003'))).toBe('SQLSTATE_22003');
    expect(poisonCode(new ViewCodeError('x'))).toBe('HANDLER_FAILED');
  });
});
