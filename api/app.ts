import type { Server } from 'node:http';
import type { Application } from '../projectors/engine/internal.ts';
import { elasticsearchAlias } from '../projectors/engine/internal.ts';
import { createElasticsearch } from '../shared/clients/elasticsearch.ts';
import { nextMatching, storedAtMemo, streamHeads } from '../shared/clients/jetstream-streams.ts';
import { connectNats, type Nats } from '../shared/clients/nats.ts';
import { probe } from '../shared/clients/postgres.ts';
import { natsPermanent, postgresPermanent, reach } from '../shared/clients/reach.ts';
import type { Config } from '../shared/config.ts';
import { streamsFor } from '../shared/events/streams.ts';
import type { Logger } from '../shared/log.ts';
import { createRegistry } from '../shared/metrics.ts';
import { CheckpointWatcher } from './checkpoint-watcher.ts';
import { createOperator, natsCommandSender } from './operator.ts';
import { checkLogin, readOnlyDatabaseUrl } from './read-only-role.ts';
import { createReadPool } from './read-pool.ts';
import { createApiServer } from './server.ts';

export interface Api {
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Wires the API for one application from configuration: a read-only database role, a pool with a statement
 * timeout, the checkpoint watcher, Elasticsearch, and NATS (only for lag; the API serves
 * without it).
 */
export async function createApi(config: Config, app: Application, log: Logger): Promise<Api> {
  const retry = { retryForMs: config.STARTUP_RETRY_MS, log };
  // PostgreSQL may come up after the API: retried for STARTUP_RETRY_MS, then named (exit 69).
  const firstUrl = config.API_DATABASE_URL ?? config.DATABASE_URL;
  await reach('PostgreSQL', firstUrl, () => probe(firstUrl), { ...retry, permanent: postgresPermanent });
  const databaseUrl = config.API_DATABASE_URL ?? (await readOnlyDatabaseUrl(config.DATABASE_URL, log));
  await checkLogin(databaseUrl);
  const pool = createReadPool(databaseUrl, config.QUERY_TIMEOUT_MS);
  // Elasticsearch's search pool has a few threads per core: the API keeps at most 10 searches
  // in flight, and each request at most one of them (request-stores.ts).
  const es = createElasticsearch(config.ELASTICSEARCH_URL, config.QUERY_TIMEOUT_MS, 10);
  const watcher = new CheckpointWatcher(databaseUrl, pool, log);
  await watcher.start();
  const streams = streamsFor(app.contract, config.VISTA_NAMESPACE);
  let nats: Nats | undefined;
  let storedAt: ((stream: string, sequence: number) => Promise<Date | undefined>) | undefined;
  // Only for lag: the API serves without NATS, retrying it in the background meanwhile.
  const closing = new AbortController();
  const connecting = reach('NATS', config.NATS_URL, () => connectNats(config.NATS_URL, 'vista-api', log), {
    ...retry,
    permanent: natsPermanent,
    signal: closing.signal,
  }).then(
    (connection) => {
      nats = connection;
      storedAt = storedAtMemo(connection.jsm, streams);
    },
    (error: unknown) => log.warn({ err: (error as Error).message }, 'projection lag is unknown'),
  );
  const server = createApiServer({
    pool,
    es,
    projections: app.projections,
    elasticsearchAlias: (view) => elasticsearchAlias(config.VISTA_NAMESPACE, view),
    streams,
    log,
    watcher,
    streamHeads: async () => (nats ? streamHeads(nats.jsm, streams).catch(() => undefined) : undefined),
    nextMatching: async (stream, subjects, from) => {
      if (!nats) throw new Error('NATS not reached yet');
      return nextMatching(nats.jsm, streams, stream, subjects, from);
    },
    clock: {
      storedAt: async (stream, sequence) => storedAt?.(stream, sequence),
      stallAfterMs: config.STALL_AFTER_S * 1000,
    },
    registry: createRegistry(),
    // Actions reach the projectors as NATS requests: this process keeps its read-only role.
    operator: createOperator(
      config.OPERATOR_TOKEN,
      natsCommandSender(() => nats?.connection, config.VISTA_NAMESPACE),
    ),
    limits: {
      consistencyTimeoutMs: config.CONSISTENCY_TIMEOUT_MS,
      queryTimeoutMs: config.QUERY_TIMEOUT_MS,
      maxDepth: config.MAX_QUERY_DEPTH,
      maxCost: config.MAX_QUERY_COST,
      corsOrigins: config.CORS_ORIGINS,
      maxResponseBytes: config.MAX_RESPONSE_BYTES,
    },
  });
  return {
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      closing.abort();
      await connecting;
      await nats?.close();
      await watcher.close();
      await pool.end();
      await es.close();
    },
  };
}
