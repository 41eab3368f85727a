import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { PriceChanged } from '../../examples/shop/events/catalog.ts';
import {
  defineDocumentProjection,
  type EngineDeps,
  elasticsearchAlias,
  elasticsearchIndex,
  engineDeps,
  LeaseManager,
  ProjectionHost,
  readGenerations,
  requestRebuild,
} from '../../projectors/engine/internal.ts';
import type { Elasticsearch } from '../../shared/clients/elasticsearch.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

interface Price {
  priceCents: number;
}

const prices = defineDocumentProjection(shop, {
  name: 'price_switch',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.price_changed.v1'],
  key: (e) => e.data.productId,
  evolve: (_doc: Price | null, e): Price => ({ priceCents: e.data.priceCents }),
  target: elasticsearchIndex({ properties: { priceCents: { type: 'long' } } }),
});

/**
 * The real Elasticsearch client, except that moving an alias fails while `fault.on`: the
 * instant after the switch's PostgreSQL half committed, as a crash or a refusal would leave it.
 */
function aliasMovesFail(es: Elasticsearch, fault: { on: boolean }): Elasticsearch {
  const indices = new Proxy(es.indices, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'updateAliases' && typeof value === 'function') {
        return (...args: unknown[]) =>
          fault.on
            ? Promise.reject(new Error('the alias move failed (test fault)'))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(es, {
    get(target, property) {
      if (property === 'indices') return indices;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('the two halves of a switch to an Elasticsearch generation', () => {
  let env: TestEnvironment;
  let alias: string;
  const hosts: { stop: () => Promise<void> }[] = [];

  function host(deps: EngineDeps) {
    const controller = new AbortController();
    const instance = new ProjectionHost([prices], deps, new LeaseManager(env.config.DATABASE_URL, env.log));
    const running = instance.run(controller.signal);
    const handle = {
      instance,
      stop: async () => {
        controller.abort();
        await running;
      },
    };
    hosts.push(handle);
    return handle;
  }

  /** The indices the public alias points at now. */
  async function aliased(): Promise<string[]> {
    const { es } = env.infrastructure;
    const found = await es.indices.getAlias({ name: alias }).catch(() => ({}));
    return Object.keys(found).sort();
  }

  const indexExists = (generation: number) =>
    env.infrastructure.es.indices.exists({ index: `${alias}__g${generation}` });

  const liveGeneration = async () => (await readGenerations(env.infrastructure.pool, prices.name)).live;

  beforeEach(async () => {
    env = await testEnvironment();
    alias = elasticsearchAlias(env.infrastructure.streams.namespace, prices.name);
    for (const [productId, priceCents] of [
      ['p1', 100],
      ['p2', 200],
    ] as const) {
      await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: PriceChanged,
        data: { productId, priceCents },
        id: `price-${productId}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    }
  });

  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    await env.cleanup();
  });

  it('a switch that stopped between its halves is repaired by the next owner, and the retired index waits for it', async () => {
    const fault = { on: false };
    const graceMs = 1000;
    const deps = { ...engineDeps(env.config, env.infrastructure, env.log), retireGraceMs: graceMs };
    const first = host({ ...deps, es: aliasMovesFail(env.infrastructure.es, fault) });
    await eventually(async () => ((await aliased()).join() === `${alias}__g1` ? true : undefined));
    await eventually(async () =>
      first.instance.runners[0]?.progress.positions.CATALOG === 2 ? true : undefined,
    );

    fault.on = true;
    await requestRebuild(env.infrastructure.pool, prices.name);
    // The catalog half commits first; the alias move after it fails.
    await eventually(async () => ((await liveGeneration())?.generation === 2 ? true : undefined));
    const failuresAtSwitch = first.instance.supervisionFailures;
    // Rounds go by, each failing to move the alias, for longer than the grace period: the
    // retired index the alias still serves must not be dropped meanwhile.
    await eventually(
      async () => (first.instance.supervisionFailures >= failuresAtSwitch + 3 ? true : undefined),
      30_000,
      'supervision rounds that fail to move the alias',
    );
    expect(await aliased()).toEqual([`${alias}__g1`]);
    expect(await indexExists(1)).toBe(true);

    // The owner stops with the halves disagreeing (as a crash would leave them); the next
    // owner, whose alias moves work, points the alias where the catalog says.
    await first.stop();
    hosts.splice(0);
    host(deps);
    await eventually(
      async () => ((await aliased()).join() === `${alias}__g2` ? true : undefined),
      30_000,
      'the next owner to move the alias to the live generation',
    );
    const { count } = await env.infrastructure.es.count({ index: alias });
    expect(count).toBe(2);
    // Only then, and after the grace period, is the retired generation dropped and forgotten.
    await eventually(
      async () => {
        const { rows } = await env.infrastructure.pool.query(
          'SELECT 1 FROM vista_checkpoints WHERE projection = $1 AND generation = 1',
          [prices.name],
        );
        return rows.length === 0 && !(await indexExists(1)) ? true : undefined;
      },
      30_000,
      'the retired generation to be dropped',
    );
  });

  it('a retired index outlives the switch by the grace period, so searches started before it finish', async () => {
    const graceMs = 4000;
    const running = host({ ...engineDeps(env.config, env.infrastructure, env.log), retireGraceMs: graceMs });
    await eventually(async () =>
      running.instance.runners[0]?.progress.positions.CATALOG === 2 ? true : undefined,
    );
    // Searches through the alias all along the switch: none fails, none sees a missing shard.
    const failures: string[] = [];
    let searching = true;
    let searches = 0;
    const loop = (async () => {
      while (searching) {
        try {
          const found = await env.infrastructure.es.search({ index: alias, query: { match_all: {} } });
          if (found._shards.failed > 0) failures.push(`shard failures: ${JSON.stringify(found._shards)}`);
          else if ((found.hits.hits ?? []).length !== 2) failures.push(`saw ${found.hits.hits.length}`);
          searches++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    })();
    await requestRebuild(env.infrastructure.pool, prices.name);
    await eventually(async () => ((await aliased()).join() === `${alias}__g2` ? true : undefined));
    const live = await liveGeneration();
    expect(live?.generation).toBe(2);
    const { rows } = await env.infrastructure.pool.query<{ retired_at: Date }>(
      'SELECT retired_at FROM vista_generations WHERE projection = $1 AND generation = 1',
      [prices.name],
    );
    const retiredAt = (rows[0] as { retired_at: Date }).retired_at.getTime();
    await eventually(async () => (!(await indexExists(1)) ? true : undefined), 30_000, 'the drop');
    const droppedBy = Date.now();
    searching = false;
    await loop;
    expect(droppedBy - retiredAt).toBeGreaterThanOrEqual(graceMs);
    expect(failures).toEqual([]);
    expect(searches).toBeGreaterThan(10);
  });
});
