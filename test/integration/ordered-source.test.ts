import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOrdered } from '../../projectors/engine/ordered-source.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

describe('readOrdered', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('ends on an abort that comes while its consumer is being set up, on a quiet stream', async () => {
    const { nats, streams } = env.infrastructure;
    const abort = new AbortController();
    const messages = readOrdered(nats.js, streams, { stream: 'CATALOG' }, 0, abort.signal);
    const first = messages.next(); // starts setting up the consumer
    abort.abort();
    // A quiet stream sends nothing that could end the wait: the abort alone must.
    const outcome = await Promise.race([
      first.then((r) => (r.done ? 'ended' : 'message')),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
    ]);
    expect(outcome).toBe('ended');
  });
});
