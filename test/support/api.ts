import { CheckpointWatcher } from '../../api/checkpoint-watcher.ts';
import { readOnlyDatabaseUrl } from '../../api/read-only-role.ts';
import { type ApiDeps, createApiServer } from '../../api/server.ts';
import { elasticsearchAlias } from '../../projectors/engine/internal.ts';
import { createElasticsearch } from '../../shared/clients/elasticsearch.ts';
import { nextMatching } from '../../shared/clients/jetstream-streams.ts';
import { createPool, type Pool } from '../../shared/clients/postgres.ts';
import type { TestEnvironment } from './environment.ts';
import { serve } from './graphql.ts';

export interface ApiOverrides extends Partial<Omit<ApiDeps, 'limits'>> {
  readonly limits?: Partial<ApiDeps['limits']>;
}

/**
 * The API server of a test environment (see running.ts for the plain one), wired like api/app.ts (read-only role, watcher) but
 * with any dependency replaced: another Elasticsearch, a pool that counts its queries, a
 * logger that records. Its own pool and Elasticsearch client time out after the limits'
 * queryTimeoutMs. Served on a free port over real HTTP.
 */
export async function startApiWith(env: TestEnvironment, overrides: ApiOverrides = {}) {
  const { config, log } = env;
  const { limits, ...deps } = overrides;
  const queryTimeoutMs = limits?.queryTimeoutMs ?? config.QUERY_TIMEOUT_MS;
  const databaseUrl = await readOnlyDatabaseUrl(config.DATABASE_URL, log);
  const pool = createPool(databaseUrl, {
    applicationName: 'vista-api-test',
    statementTimeoutMs: queryTimeoutMs,
    readOnly: true,
  });
  const es = createElasticsearch(config.ELASTICSEARCH_URL, queryTimeoutMs);
  const watcher = new CheckpointWatcher(databaseUrl, pool, log);
  await watcher.start();
  const server = createApiServer({
    pool,
    es,
    projections: env.app.projections,
    elasticsearchAlias: (view) => elasticsearchAlias(config.VISTA_NAMESPACE, view),
    streams: env.infrastructure.streams,
    log,
    watcher,
    streamHeads: async () => undefined,
    nextMatching: (stream, subjects, from) =>
      nextMatching(env.infrastructure.nats.jsm, env.infrastructure.streams, stream, subjects, from),
    ...deps,
    limits: {
      consistencyTimeoutMs: config.CONSISTENCY_TIMEOUT_MS,
      queryTimeoutMs,
      maxDepth: config.MAX_QUERY_DEPTH,
      maxCost: config.MAX_QUERY_COST,
      corsOrigins: config.CORS_ORIGINS,
      maxResponseBytes: config.MAX_RESPONSE_BYTES,
      ...limits,
    },
  });
  const served = await serve(server);
  return {
    ...served,
    pool,
    watcher,
    close: async () => {
      await served.close();
      await watcher.close();
      await pool.end();
      await es.close();
    },
  };
}

/** A pool that counts the statements run through it (the real pool underneath). */
export function countingPool(pool: Pool): { pool: Pool; statements: string[] } {
  const statements: string[] = [];
  const counting = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (text: unknown, ...rest: unknown[]) => {
        statements.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
        return (target.query as (...args: unknown[]) => unknown).call(target, text, ...rest);
      };
    },
  });
  return { pool: counting, statements };
}
