import { createServer, type Server } from 'node:http';
import { createYoga } from 'graphql-yoga';
import type { Elasticsearch } from '../shared/clients/elasticsearch.ts';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { ApiContext, ServerContext } from './context.ts';
import { freshnessPlugin } from './freshness.ts';
import { limitsPlugin } from './limits.ts';
import { requestLogPlugin } from './request-log.ts';
import { customerLoader } from './schema/customers.ts';
import { buildSchema } from './schema/index.ts';

export interface ApiDeps {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  readonly productsAlias: string;
  readonly log: Logger;
  readonly watcher: CheckpointWatcher;
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  readonly limits: {
    readonly consistencyTimeoutMs: number;
    readonly maxDepth: number;
    readonly maxCost: number;
    readonly corsOrigins: readonly string[];
  };
}

async function ready(deps: ApiDeps): Promise<string | undefined> {
  const postgres = await deps.pool.query('SELECT 1').then(
    () => undefined,
    () => 'postgres unreachable',
  );
  const elasticsearch = await deps.es.cluster.health({ timeout: '2s' }, { requestTimeout: 3000 }).then(
    () => undefined,
    () => 'elasticsearch unreachable',
  );
  return postgres ?? elasticsearch;
}

/**
 * The GraphQL API over the read models: `/graphql` (queries, read-your-writes, subscriptions
 * over SSE), `/healthz` (alive) and `/readyz` (PostgreSQL and Elasticsearch reachable).
 */
export function createApiServer(deps: ApiDeps): Server {
  const { limits } = deps;
  const yoga = createYoga<ServerContext, ApiContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    // Unexpected errors reach clients as "Unexpected error." without stack or message.
    maskedErrors: true,
    cors: { origin: limits.corsOrigins.includes('*') ? '*' : [...limits.corsOrigins] },
    logging: {
      debug: (...args) => deps.log.debug({ args }, 'yoga'),
      info: (...args) => deps.log.info({ args }, 'yoga'),
      warn: (...args) => deps.log.warn({ args }, 'yoga'),
      error: (...args) => deps.log.error({ args }, 'yoga'),
    },
    context: () => ({
      pool: deps.pool,
      es: deps.es,
      productsAlias: deps.productsAlias,
      log: deps.log,
      watcher: deps.watcher,
      streamHeads: deps.streamHeads,
      customers: customerLoader(deps.pool),
    }),
    plugins: [
      requestLogPlugin(deps.log),
      limitsPlugin(limits.maxDepth, limits.maxCost),
      freshnessPlugin(deps.watcher, limits.consistencyTimeoutMs),
    ],
  });

  return createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.url === '/readyz') {
      void ready(deps).then((problem) =>
        res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(problem ?? 'ready'),
      );
      return;
    }
    void yoga.handle(req, res);
  });
}
