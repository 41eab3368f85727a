import { JetStreamApiError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { backoffMs, isTransient } from '../../../../../projectors/engine/support/retry.ts';

describe('backoff', () => {
  it('grows exponentially, is capped, and is jittered below the ceiling', () => {
    const ceiling = (attempt: number) => backoffMs(attempt, 100, 10_000, () => 0.999_999);
    expect([1, 2, 3, 4].map(ceiling)).toEqual([199, 399, 799, 1599]);
    expect(ceiling(30)).toBe(9999);
    expect(backoffMs(5, 100, 10_000, () => 0)).toBe(0);
  });
});

describe('isTransient', () => {
  const withCode = (code: string) => Object.assign(new Error('x'), { code });
  const withStatus = (statusCode: number) => Object.assign(new Error('x'), { statusCode });

  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['PostgreSQL shutting down', withCode('57P01')],
    ['a serialisation failure', withCode('40001')],
    ['Elasticsearch overloaded', withStatus(429)],
    ['Elasticsearch unavailable', withStatus(503)],
    ['a stale checkpoint', withCode('STALE_CHECKPOINT')],
    [
      'a JetStream cluster without a stream leader',
      new JetStreamApiError({
        code: 503,
        err_code: 10008,
        description: 'JetStream system temporarily unavailable',
      }),
    ],
  ])('retries %s', (_, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a syntax error', withCode('42601')],
    ['a bad request', withStatus(400)],
    [
      'a JetStream request refused',
      new JetStreamApiError({
        code: 400,
        err_code: 10012,
        description: 'consumer name in subject does not match',
      }),
    ],
    ['a plain bug', new TypeError('undefined is not a function')],
  ])('does not retry %s forever', (_, error) => {
    expect(isTransient(error)).toBe(false);
  });
});
