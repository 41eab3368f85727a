import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { PriceChanged } from '../../examples/shop/events/catalog.ts';
import {
  defineDocumentProjection,
  type EngineDeps,
  elasticsearchAlias,
  elasticsearchIndex,
  engineDeps,
  fromBeginning,
  listDeadLetters,
  type ProjectionRunner,
  reconcileGenerations,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { createElasticsearch } from '../../shared/clients/elasticsearch.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

interface Price {
  priceCents: number;
}

const prices = defineDocumentProjection(shop, {
  name: 'es_probe',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.price_changed.v1'],
  key: (e) => e.data.productId,
  evolve: (_doc: Price | null, e): Price => ({ priceCents: e.data.priceCents }),
  target: elasticsearchIndex({ properties: { priceCents: { type: 'long' } } }),
});

describe('Elasticsearch failures that are not about a document', () => {
  let env: TestEnvironment;
  let stop: AbortController;
  let running: Promise<void> | undefined;
  let index: string;
  let runner: ProjectionRunner;

  const publish = (n: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: PriceChanged,
      data: { productId: `p${n}`, priceCents: n },
      id: `e-${n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  const status = async () =>
    (
      await env.infrastructure.pool.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM vista_projections WHERE name = 'es_probe'`,
      )
    ).rows[0];

  async function start(deps: EngineDeps) {
    await reconcileGenerations(env.infrastructure.pool, prices, fromBeginning(['CATALOG']));
    runner = runnerFor(prices, 1, deps);
    running = runner.run(stop.signal);
    await eventually(async () => (runner.progress.positions.CATALOG === 1 ? true : undefined));
  }

  const documents = async () => {
    await env.infrastructure.es.indices.refresh({ index });
    return (await env.infrastructure.es.count({ index })).count;
  };

  beforeEach(async () => {
    stop = new AbortController();
    running = undefined;
    env = await testEnvironment();
    index = `${elasticsearchAlias(env.infrastructure.streams.namespace, 'es_probe')}__g1`;
    await publish(1);
  });

  afterEach(async () => {
    stop.abort();
    await running;
    await env.infrastructure.es.indices
      .putSettings({ index, settings: { 'index.blocks.write': false } })
      .catch(() => undefined);
    await env.cleanup();
  });

  it('a write block fails the batch, dead-letters nothing, says why in status, and the batch lands once lifted', async () => {
    await start(engineDeps(env.config, env.infrastructure, env.log));
    const { es, pool } = env.infrastructure;
    await es.indices.putSettings({ index, settings: { 'index.blocks.write': true } });
    for (let n = 2; n <= 5; n++) await publish(n);
    const blocked = await eventually(async () => {
      const s = await status();
      return s?.status === 'retrying' ? s : undefined;
    });
    expect(blocked.detail).toMatch(/cluster_block_exception \(403\)/);
    expect(runner.progress.positions.CATALOG).toBe(1);
    expect(await listDeadLetters(pool, 'es_probe')).toEqual([]);

    await es.indices.putSettings({ index, settings: { 'index.blocks.write': false } });
    await eventually(async () => (runner.progress.positions.CATALOG === 5 ? true : undefined), 60_000);
    expect(await documents()).toBe(5);
    expect(await listDeadLetters(pool, 'es_probe')).toEqual([]);
  });

  it('a closed index fails the batch and is retried, not dead-lettered', async () => {
    await start(engineDeps(env.config, env.infrastructure, env.log));
    const { es, pool } = env.infrastructure;
    await es.indices.close({ index });
    await publish(2);
    const failing = await eventually(async () => {
      const s = await status();
      return s?.status === 'retrying' ? s : undefined;
    });
    expect(failing.detail).toMatch(/index_closed_exception|closed/);
    // More failures than a projection halts after when it does not know them to be transient.
    await eventually(async () => (runner.progress.failures >= 7 ? true : undefined), 60_000);
    expect(runner.progress.status).toBe('retrying');
    expect(await listDeadLetters(pool, 'es_probe')).toEqual([]);
    await es.indices.open({ index, wait_for_active_shards: 1 });
    await eventually(async () => (runner.progress.positions.CATALOG === 2 ? true : undefined), 60_000);
    expect(await documents()).toBe(2);
  });

  it('a hanging Elasticsearch keeps the batch’s transaction open only until the server ends it, and the batch lands once it answers', async () => {
    const url = new URL(env.config.ELASTICSEARCH_URL);
    const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 80) });
    await proxy.start();
    const es = createElasticsearch(proxy.url, 60_000);
    const waiting = async () =>
      (
        await env.infrastructure.pool.query<{ state: string }>(
          `SELECT state FROM pg_stat_activity
            WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
        )
      ).rows.map((row) => row.state);
    try {
      await start({ ...engineDeps(env.config, env.infrastructure, env.log), es });
      proxy.blackhole();
      await publish(2);
      // The batch's `_bulk` has gone into the silence, its transaction waiting before COMMIT
      // with the checkpoint's compare-and-set done (the lease row is locked only at COMMIT).
      await eventually(async () => (proxy.heldBytes > 0 ? true : undefined));
      expect(await waiting()).toEqual(['idle in transaction']);
      // The server ends it (idle in transaction for half a lease's TTL), releasing its locks.
      await eventually(async () => ((await waiting()).length === 0 ? true : undefined), 30_000);
      proxy.restore();
      await eventually(async () => (runner.progress.positions.CATALOG === 2 ? true : undefined), 60_000);
      expect(await documents()).toBe(2);
    } finally {
      stop.abort();
      await running;
      running = undefined;
      await es.close();
      await proxy.stop();
    }
  });
});
