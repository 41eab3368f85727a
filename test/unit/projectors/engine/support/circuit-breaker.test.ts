import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
} from '../../../../../projectors/engine/support/circuit-breaker.ts';
import { isTransient } from '../../../../../projectors/engine/support/retry.ts';

describe('CircuitBreaker', () => {
  const clock = () => {
    const c = { now: 0 };
    return { c, breaker: new CircuitBreaker('Elasticsearch', 3, 1000, 8000, () => c.now) };
  };

  it('lets calls through until the threshold of consecutive failures, then refuses them with the reason', () => {
    const { breaker } = clock();
    breaker.failure('cluster_block_exception (403)');
    breaker.failure('cluster_block_exception (403)');
    expect(() => breaker.guard()).not.toThrow();
    breaker.failure('cluster_block_exception (403)');
    expect(() => breaker.guard()).toThrow(CircuitOpenError);
    expect(() => breaker.guard()).toThrow(/circuit open for 1 s after 3 failures: cluster_block_exception/);
  });

  it('half-opens after the cool-down, which doubles with each further failure up to the cap', () => {
    const { c, breaker } = clock();
    for (let i = 0; i < 3; i++) breaker.failure('down');
    c.now = 1000;
    expect(() => breaker.guard()).not.toThrow();
    breaker.failure('down');
    c.now = 2999;
    expect(breaker.open).toBe(true);
    c.now = 3000;
    expect(breaker.open).toBe(false);
    for (let i = 0; i < 10; i++) breaker.failure('down');
    c.now += 8000;
    expect(breaker.open).toBe(false);
  });

  it('closes on a success', () => {
    const { breaker } = clock();
    for (let i = 0; i < 3; i++) breaker.failure('down');
    breaker.success();
    expect(() => breaker.guard()).not.toThrow();
    breaker.failure('down');
    expect(breaker.open).toBe(false);
  });

  it('an open circuit is a transient failure: the batch is retried, not dead-lettered', () => {
    expect(isTransient(new CircuitOpenError('open'))).toBe(true);
  });
});
