import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { createYoga } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { type Projection, readHaltedLive, servedViews } from '../projectors/engine/internal.ts';
import type { Elasticsearch } from '../shared/clients/elasticsearch.ts';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Streams } from '../shared/events/streams.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import { consoleHandler } from './console/serve.ts';
import type { ApiContext, ServerContext } from './context.ts';
import { corsOptions } from './cors.ts';
import { createReaders, RequestLoaders } from './derive/readers.ts';
import { paginatedFields, readsOf } from './derive/views.ts';
import { maskedErrors } from './errors.ts';
import { FilteredSources, type NextMatching } from './filtered-sources.ts';
import { freshnessPlugin } from './freshness.ts';
import { storableInputPlugin } from './input-values.ts';
import { limitsPlugin } from './limits.ts';
import { createLiveFeeds } from './live-feeds.ts';
import { registerConsistencyWaits, requestMetricsPlugin } from './metrics.ts';
import { createOperator, type Operator } from './operator.ts';
import { readProjections, type StreamClock } from './projection-status.ts';
import { ReadsIndex } from './reads-index.ts';
import { requestLogPlugin, yogaLogger } from './request-log.ts';
import { RequestStores } from './request-stores.ts';
import { readBudget, responseLimitPlugin } from './response-limit.ts';
import { buildSchema } from './schema/index.ts';
import { tracingPlugin } from './tracing.ts';

/** Largest request body accepted; a GraphQL document of MAX_TOKENS tokens fits many times over. */
export const MAX_BODY_BYTES = 256 * 1024;
/** The largest refused body read to its end rather than cut off (see the 413 below). */
const DRAINED_BODY_BYTES = 16 * 1024 * 1024;
/** How long /readyz waits for each store. */
const READY_TIMEOUT_MS = 3000;

export interface ApiDeps {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  /** The projections whose views are served (those that declare a public shape). */
  readonly projections: readonly Projection[];
  /** The Elasticsearch alias readers query for a view. */
  readonly elasticsearchAlias: (view: string) => string;
  readonly streams: Streams;
  readonly log: Logger;
  readonly watcher: CheckpointWatcher;
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  /**
   * Asks a stream for the next message a filter matches: a read-your-writes wait for a
   * sequence a view's filter leaves out then ends once the view has every matching one
   * before it. Without it such a wait lasts until its timeout.
   */
  readonly nextMatching?: NextMatching;
  /** For lag in seconds and stalls; without it both are unknown. */
  readonly clock?: StreamClock;
  /** Operator actions; without it nobody may take them. */
  readonly operator?: Operator;
  /** Prometheus registry served at /metrics, with the request duration histogram; none: no /metrics. */
  readonly registry?: Registry;
  readonly limits: {
    readonly consistencyTimeoutMs: number;
    readonly queryTimeoutMs: number;
    readonly maxDepth: number;
    readonly maxCost: number;
    readonly corsOrigins: readonly string[];
    /** Largest answer (JSON bytes) a request or subscription event is sent (MAX_RESPONSE_BYTES). */
    readonly maxResponseBytes: number;
  };
}

/** A function that runs `read` on its first call and hands every later call the same promise. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= read();
    return result;
  };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Why the API cannot serve, or undefined when PostgreSQL and Elasticsearch both answer and no
 * projection's live generation is halted (its view would stay stale until an operator acts).
 */
async function notReady(deps: ApiDeps): Promise<string | undefined> {
  const [postgres, elasticsearch] = await Promise.all([
    within(readHaltedLive(deps.pool), READY_TIMEOUT_MS).then(
      (halted) => (halted.length > 0 ? `halted: ${halted.join(', ')}` : undefined),
      // No catalog yet (no projector has run): nothing is halted.
      (error: { code?: unknown }) => (error.code === '42P01' ? undefined : 'postgres unreachable'),
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
 * The GraphQL API over the views: `/graphql` (queries, read-your-writes, subscriptions
 * over SSE, operator mutations; `/graphql/stream` for graphql-sse clients), `/console` (the
 * operator console, static files that use only /graphql), `/healthz` (the process is alive)
 * and `/readyz` (PostgreSQL and Elasticsearch answer, no projection is halted). Each concern
 * is one yoga plugin: request logs, limits, stored-value checks, freshness.
 */
export function createApiServer(deps: ApiDeps): Server {
  const { limits } = deps;
  const views = servedViews(deps.projections);
  // The live feeds read once for all subscribers, on the process's own stores.
  const liveReaders = createReaders(views, { pool: deps.pool, es: deps.es, alias: deps.elasticsearchAlias });
  const filtered =
    deps.nextMatching && new FilteredSources(deps.projections, deps.streams, deps.nextMatching);
  const live = createLiveFeeds({ ...deps, views, readers: liveReaders, filtered });
  const operator = deps.operator ?? createOperator(undefined, undefined);
  const yoga = createYoga<ServerContext, ApiContext>({
    schema: buildSchema(deps.projections),
    graphqlEndpoint: '/graphql',
    maskedErrors: maskedErrors(limits.queryTimeoutMs),
    cors: corsOptions(limits.corsOrigins),
    logging: yogaLogger(deps.log),
    context: ({ request }) => {
      // This request's share of the stores, and the readers and loaders on it.
      const stores = new RequestStores(
        deps.pool,
        deps.es,
        readBudget(limits.maxResponseBytes),
        request.signal,
      );
      const readers = createReaders(views, { ...stores, alias: deps.elasticsearchAlias });
      return {
        request,
        stores,
        readers,
        log: deps.log,
        watcher: deps.watcher,
        streamHeads: deps.streamHeads,
        feeds: live.feeds,
        clock: deps.clock,
        operator,
        loaders: new RequestLoaders(readers),
        projections: once(async () =>
          readProjections(stores.pool, await deps.streamHeads(), deps.clock, filtered),
        ),
        liveEvent: { projections: [] },
      };
    },
    plugins: [
      ...(deps.registry ? [requestMetricsPlugin(deps.registry)] : []),
      requestLogPlugin(deps.log),
      limitsPlugin(limits.maxDepth, limits.maxCost, paginatedFields(views)),
      storableInputPlugin(),
      responseLimitPlugin(limits.maxResponseBytes),
      // The GraphQL over SSE protocol of graphql-sse at /graphql/stream, in both its modes
      // (distinct connections, and one connection for many operations); /graphql serves the
      // distinct-connections mode itself.
      useGraphQLSSE(),
      freshnessPlugin(
        deps.watcher,
        deps.streams,
        limits.consistencyTimeoutMs,
        new ReadsIndex(readsOf(views)),
        filtered,
      ),
      tracingPlugin(),
    ],
  });

  if (deps.registry) registerConsistencyWaits(deps.registry, () => deps.watcher.waiting);
  const serveConsole = consoleHandler();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return reply(res, 200, 'ok');
    if (serveConsole(req, res)) return;
    if (path === '/metrics' && deps.registry) {
      const { registry } = deps;
      void registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        () => reply(res, 500, 'metrics unavailable'),
      );
      return;
    }
    if (path === '/readyz') {
      void notReady(deps).then((problem) => reply(res, problem ? 503 : 200, problem ?? 'ready'));
      return;
    }
    // Bodies are bounded before yoga buffers them: by their declared length, and a streamed
    // body of unknown length is refused outright (browsers and GraphQL clients send a length).
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      // Node reads and drops a body left unread once the answer is sent, and the client, still
      // sending, then reads the 413. Closing the connection with the body unread would reset
      // it, and a client whose write meets the reset reports a failed request instead (seen
      // under load in test/faults/api-load.test.ts). A body too large to be worth reading is cut off.
      if (declared > DRAINED_BODY_BYTES) res.setHeader('connection', 'close');
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
