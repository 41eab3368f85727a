import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { elasticsearchAlias, type Positions } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { livePositions, projectionStatus, reached } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { ProjectorProcesses } from '../support/projector-process.ts';
import { expectedCustomerStats, expectedOrders, expectedProducts } from '../support/shop/model.ts';
import { readCustomerStats, readOrders, readProducts, waitForLiveViews } from '../support/shop/read-views.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

/** Every view kept in PostgreSQL: all but products. */
const IN_POSTGRES = shopApp.projections
  .filter((p) => p.kind === 'sql' || p.target.kind === 'postgres')
  .map((p) => p.name);
/** What a runner logs when a batch fails, and how many unknown failures in a row halt it (runner.ts). */
const FAILED = 'batch failed; restarting from checkpoint';
const MAX_UNKNOWN_FAILURES = 5;

/** The heads of the streams `projection` reads. */
function headsOf(projection: string, heads: Record<string, number>): Positions {
  const sources = shopApp.projections.find((p) => p.name === projection)?.sources ?? [];
  return Object.fromEntries(sources.map((s) => [s.stream, heads[s.stream]]));
}

/**
 * Elasticsearch is shared by every test, so it is not stopped: the projector process reaches
 * it through a TCP proxy, and the proxy goes away.
 */
describe('bulkhead: Elasticsearch unreachable from a projector process', () => {
  let env: TestEnvironment;
  let proxy: TcpProxy;
  const processes = new ProjectorProcesses();
  const history = [...demoHistory({ events: 12_000, seed: 91 })];
  const before = history.slice(0, 6000);
  const during = history.slice(6000);

  beforeAll(async () => {
    env = await testEnvironment();
    const elasticsearch = new URL(env.config.ELASTICSEARCH_URL);
    proxy = new TcpProxy({ host: elasticsearch.hostname, port: Number(elasticsearch.port || 80) });
    await proxy.start();
  });

  afterAll(async () => {
    await processes.killAll();
    await proxy?.stop();
    await env?.cleanup();
  });

  it('with Elasticsearch down the PostgreSQL views keep advancing; products catches up afterwards', async () => {
    processes.printLogsOnFailure();
    const { pool, nats, streams, es } = env.infrastructure;
    await publishMany(nats.js, streams, before);
    const projector = processes.start(env, 'projector', { ELASTICSEARCH_URL: proxy.url });
    await waitForLiveViews(env, 8, 60_000);

    const port = proxy.port;
    await proxy.stop();
    await publishMany(nats.js, streams, during);
    const heads = await streamHeads(nats.jsm, streams);
    await eventually(
      async () => {
        const positions = await livePositions(pool);
        return IN_POSTGRES.every((name) => reached(positions[name], headsOf(name, heads))) || undefined;
      },
      30_000,
      'the PostgreSQL views to reach the new heads while Elasticsearch is unreachable',
    );
    expect(await readOrders(pool)).toEqual(Object.fromEntries(expectedOrders(history)));
    expect(await readCustomerStats(pool)).toEqual(Object.fromEntries(expectedCustomerStats(history)));
    // Longer than the failures that halt a projection on an unknown error: a lost connection
    // is transient, so products keeps retrying with backoff for as long as it takes.
    await projector.waitForLog(
      (l) => l.projection === 'products' && l.msg === FAILED && Number(l.failures) > MAX_UNKNOWN_FAILURES,
      `products failing more than ${MAX_UNKNOWN_FAILURES} times`,
      30_000,
    );
    const products = await eventually(
      async () => {
        const { products } = await projectionStatus(pool);
        return products?.status === 'retrying' ? products : undefined;
      },
      15_000,
      'products to be retrying',
    );
    expect(products.detail).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    const stuck = (await livePositions(pool)).products;
    expect(stuck?.CATALOG).toBeLessThan(heads.CATALOG ?? 0);
    expect(stuck?.ORDERS).toBeLessThan(heads.ORDERS ?? 0);
    // Each status is reported a moment after its positions move: the PostgreSQL views settle at running.
    await eventually(
      async () => {
        const status = await projectionStatus(pool);
        return IN_POSTGRES.every((name) => status[name]?.status === 'running') || undefined;
      },
      15_000,
      'the PostgreSQL views to report running',
    );
    expect(projector.exited).toBe(false);

    await proxy.start();
    expect(proxy.port).toBe(port);
    await eventually(
      async () => reached((await livePositions(pool)).products, headsOf('products', heads)) || undefined,
      30_000,
      'products to catch up once Elasticsearch is back',
    );
    await eventually(
      async () => ((await projectionStatus(pool)).products?.status === 'running' ? true : undefined),
      5_000,
      'products to be running',
    );
    const alias = elasticsearchAlias(env.config.VISTA_NAMESPACE, 'products');
    await es.indices.refresh({ index: alias });
    const { count } = await es.count({ index: alias, query: { term: { added: true } } });
    const added = new Set(
      history
        .filter((e) => e.eventType.type.startsWith('catalog.product_added.'))
        .map((e) => (e.data as { productId: string }).productId),
    );
    expect(added.size).toBeGreaterThan(100);
    expect(count).toBe(added.size);
    expect(await readProducts(es, env.config.VISTA_NAMESPACE)).toEqual(
      Object.fromEntries(expectedProducts(history)),
    );
  }, 90_000);
});
