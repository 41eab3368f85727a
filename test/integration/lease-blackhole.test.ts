import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { engineDeps, LeaseManager, ProjectionHost } from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { stockView } from '../support/shop/stock-view.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const stock = stockView('stock_lease');

describe('a lease whose connection goes silent', () => {
  let env: TestEnvironment;
  let proxy: TcpProxy;
  const stops: (() => Promise<void>)[] = [];

  function host(databaseUrl: string) {
    const controller = new AbortController();
    const instance = new ProjectionHost(
      [stock],
      engineDeps(env.config, env.infrastructure, env.log),
      new LeaseManager(databaseUrl, env.log),
    );
    const running = instance.run(controller.signal);
    stops.push(async () => {
      controller.abort();
      await running;
    });
    return instance;
  }

  const adjust = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: StockAdjusted,
        data: { productId: `p${i % 5}`, delta: 1, reason: 'count' },
        id: `adj-${Date.now()}-${i}-${Math.random()}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    }
  };

  beforeEach(async () => {
    env = await testEnvironment();
    const url = new URL(env.config.DATABASE_URL);
    proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    await proxy.start();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await proxy.stop();
    await env.cleanup();
  });

  it('moves to the standby within seconds, and the view equals the events', async () => {
    const url = new URL(env.config.DATABASE_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    const owner = host(url.toString());
    await eventually(async () => (owner.ownership[0]?.owned ? true : undefined));
    const standby = host(env.config.DATABASE_URL);
    await adjust(50);
    await eventually(async () => (owner.runners[0]?.progress.positions.CATALOG === 50 ? true : undefined));
    expect(standby.ownership[0]?.owned).toBe(false);

    proxy.blackhole();
    const silentAt = performance.now();
    await adjust(50);
    await eventually(
      async () => (standby.ownership[0]?.owned ? true : undefined),
      60_000,
      'the standby to take the lease over',
    );
    const takeOverMs = performance.now() - silentAt;
    console.log(
      `lease take-over after the owner's lease connection went silent: ${Math.round(takeOverMs)} ms`,
    );
    expect(takeOverMs).toBeLessThan(15_000);
    await eventually(async () => (standby.runners[0]?.progress.positions.CATALOG === 100 ? true : undefined));
    const { rows } = await env.infrastructure.pool.query<{ id: string; stock: number }>(
      'SELECT id, stock FROM stock_lease ORDER BY id',
    );
    expect(rows).toEqual([0, 1, 2, 3, 4].map((i) => ({ id: `p${i}`, stock: 20 })));
  });
});
