import type { Server } from 'node:http';
import type { Application } from '../projectors/engine/index.ts';
import { createElasticsearch } from '../shared/clients/elasticsearch.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { connectNats, type Nats } from '../shared/clients/nats.ts';
import { createPool } from '../shared/clients/postgres.ts';
import type { Config } from '../shared/config.ts';
import { streamsFor } from '../shared/events/streams.ts';
import type { Logger } from '../shared/log.ts';
import { elasticsearchAlias } from '../shared/read-model-names.ts';
import { CheckpointWatcher } from './checkpoint-watcher.ts';
import { checkLogin, readOnlyDatabaseUrl } from './read-only-role.ts';
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
  const databaseUrl = config.API_DATABASE_URL ?? (await readOnlyDatabaseUrl(config.DATABASE_URL, log));
  await checkLogin(databaseUrl);
  const pool = createPool(databaseUrl, {
    applicationName: 'vista-api',
    max: 20,
    statementTimeoutMs: config.QUERY_TIMEOUT_MS,
    readOnly: true,
  });
  const es = createElasticsearch(config.ELASTICSEARCH_URL, config.QUERY_TIMEOUT_MS);
  const watcher = new CheckpointWatcher(databaseUrl, pool, log);
  await watcher.start();
  const streams = streamsFor(app.contract.streams, config.VISTA_NAMESPACE);
  let nats: Nats | undefined;
  const connecting = connectNats(config.NATS_URL, 'vista-api', log).then(
    (connection) => {
      nats = connection;
    },
    (error: unknown) => log.warn({ err: error }, 'NATS unreachable: projection lag is unknown'),
  );
  const server = createApiServer({
    pool,
    es,
    productsAlias: elasticsearchAlias(config.VISTA_NAMESPACE, 'products'),
    streams,
    log,
    watcher,
    streamHeads: async () => (nats ? streamHeads(nats.jsm, streams).catch(() => undefined) : undefined),
    limits: {
      consistencyTimeoutMs: config.CONSISTENCY_TIMEOUT_MS,
      queryTimeoutMs: config.QUERY_TIMEOUT_MS,
      maxDepth: config.MAX_QUERY_DEPTH,
      maxCost: config.MAX_QUERY_COST,
      corsOrigins: config.CORS_ORIGINS,
    },
  });
  return {
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await connecting;
      await nats?.close();
      await watcher.close();
      await pool.end();
      await es.close();
    },
  };
}
