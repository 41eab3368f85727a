import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { lagAfter } from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

describe("a source's lag, asked of the stream", () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await testEnvironment();
    for (const n of [1, 2, 3]) {
      await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: StockAdjusted,
        data: { productId: `p${n}`, delta: 1, reason: 'count' },
        id: `adj-${n}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    }
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('is head minus position without a filter, and zero at or past the head', async () => {
    const { jsm } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    const source = { stream: 'CATALOG' } as const;
    expect(await lagAfter(jsm, streams, source, 0, 3)).toBe(3);
    expect(await lagAfter(jsm, streams, source, 2, 3)).toBe(1);
    expect(await lagAfter(jsm, streams, source, 3, 3)).toBe(0);
  });

  it('with a filter, is zero when no matching event follows the position, whatever the head', async () => {
    const { jsm } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    const stored = await jsm.streams.getMessage(streams.streamName('CATALOG'), { seq: 3 });
    const prefix = streams.namespace ? `${streams.namespace}.` : '';
    // The subject of the third event, as a filter written without the namespace.
    const third = (stored?.subject ?? '').slice(prefix.length);
    expect(third).toMatch(/p3/);
    const matching = { stream: 'CATALOG', filter: third } as const;
    expect(await lagAfter(jsm, streams, matching, 2, 3)).toBeGreaterThan(0);
    expect(await lagAfter(jsm, streams, matching, 3, 3)).toBe(0);
    const none = { stream: 'CATALOG', filter: 'catalog.nothing_matches.>' } as const;
    expect(await lagAfter(jsm, streams, none, 0, 3)).toBe(0);
  });
});
