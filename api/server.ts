import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createYoga } from 'graphql-yoga';
import type { Elasticsearch } from '../shared/clients/elasticsearch.ts';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Streams } from '../shared/events/streams.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { ApiContext, ServerContext } from './context.ts';
import { corsOptions } from './cors.ts';
import { maskedErrors } from './errors.ts';
import { freshnessPlugin } from './freshness.ts';
import { limitsPlugin } from './limits.ts';
import { createLiveFeeds } from './live-feeds.ts';
import { requestLogPlugin, yogaLogger } from './request-log.ts';
import { customerLoader } from './schema/customers.ts';
import { buildSchema } from './schema/index.ts';
import { customerOrdersLoader, orderLoader } from './schema/orders.ts';
import { productLoader } from './schema/products.ts';

/** Largest request body accepted; a GraphQL document of MAX_TOKENS tokens fits many times over. */
export const MAX_BODY_BYTES = 256 * 1024;
/** How long /readyz waits for each store. */
const READY_TIMEOUT_MS = 3000;

export interface ApiDeps {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  readonly productsAlias: string;
  readonly streams: Streams;
  readonly log: Logger;
  readonly watcher: CheckpointWatcher;
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  readonly limits: {
    readonly consistencyTimeoutMs: number;
    readonly queryTimeoutMs: number;
    readonly maxDepth: number;
    readonly maxCost: number;
    readonly corsOrigins: readonly string[];
  };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Why the API cannot serve, or undefined when PostgreSQL and Elasticsearch both answer. */
async function notReady(deps: ApiDeps): Promise<string | undefined> {
  const [postgres, elasticsearch] = await Promise.all([
    within(deps.pool.query('SELECT 1'), READY_TIMEOUT_MS).then(
      () => undefined,
      () => 'postgres unreachable',
    ),
    // The minimal Elasticsearch build has no `GET /`: cluster health is the probe.
    within(deps.es.cluster.health({}, { requestTimeout: READY_TIMEOUT_MS }), READY_TIMEOUT_MS).then(
      () => undefined,
      () => 'elasticsearch unreachable',
    ),
  ]);
  return [postgres, elasticsearch].filter(Boolean).join(', ') || undefined;
}

function reply(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    .end(body);
}

/**
 * The GraphQL API over the read models: `/graphql` (queries, read-your-writes, subscriptions
 * over SSE), `/healthz` (the process is alive) and `/readyz` (PostgreSQL and Elasticsearch
 * answer). Each concern is one yoga plugin: request logs, limits, freshness.
 */
export function createApiServer(deps: ApiDeps): Server {
  const { limits } = deps;
  const live = createLiveFeeds(deps);
  const yoga = createYoga<ServerContext, ApiContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    maskedErrors: maskedErrors(limits.queryTimeoutMs),
    cors: corsOptions(limits.corsOrigins),
    logging: yogaLogger(deps.log),
    context: ({ request }) => ({
      request,
      pool: deps.pool,
      es: deps.es,
      productsAlias: deps.productsAlias,
      log: deps.log,
      watcher: deps.watcher,
      streamHeads: deps.streamHeads,
      feeds: live.feeds,
      orders: orderLoader(deps.pool),
      customers: customerLoader(deps.pool),
      customerOrders: customerOrdersLoader(deps.pool),
      products: productLoader(deps.es, deps.productsAlias),
      liveEvent: { projections: [] },
    }),
    plugins: [
      requestLogPlugin(deps.log),
      limitsPlugin(limits.maxDepth, limits.maxCost),
      freshnessPlugin(deps.watcher, deps.streams, limits.consistencyTimeoutMs),
    ],
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return reply(res, 200, 'ok');
    if (path === '/readyz') {
      void notReady(deps).then((problem) => reply(res, problem ? 503 : 200, problem ?? 'ready'));
      return;
    }
    // Bodies are bounded before yoga buffers them: by their declared length, and a streamed
    // body of unknown length is refused outright (browsers and GraphQL clients send a length).
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      res.setHeader('connection', 'close');
      return reply(res, 413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    }
    if (req.headers['transfer-encoding'] && req.headers['content-length'] === undefined) {
      res.setHeader('connection', 'close');
      return reply(res, 411, 'a request body needs a content-length');
    }
    void yoga.handle(req, res);
  });
  server.on('close', () => live.close());
  return server;
}
