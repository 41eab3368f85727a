import { createElasticsearch, type Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import { ensureStreams } from '../../../shared/clients/jetstream-streams.ts';
import { connectNats, type Nats } from '../../../shared/clients/nats.ts';
import { createPool, ensureDatabase, type Pool } from '../../../shared/clients/postgres.ts';
import { PullBudget } from '../../../shared/clients/pull-budget.ts';
import { natsPermanent, postgresPermanent, reach } from '../../../shared/clients/reach.ts';
import type { Config } from '../../../shared/config.ts';
import type { Contract } from '../../../shared/events/contract.ts';
import { type Streams, streamsFor } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import { migrate } from './migrations.ts';

export interface Infrastructure {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  readonly nats: Nats;
  readonly contract: Contract;
  readonly streams: Streams;
  /** What the stream readers on `nats` may have pulled and not consumed, together. */
  readonly pullBudget: PullBudget;
  close(): Promise<void>;
}

/**
 * Connects to PostgreSQL and NATS and makes both ready: database, engine tables and streams
 * exist afterwards. Idempotent, so every process may call it at start.
 */
export async function openInfrastructure(
  config: Config,
  contract: Contract,
  name: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<Infrastructure> {
  // Services may come up after this process: each is retried for STARTUP_RETRY_MS, then the
  // ServiceUnreachableError names it (entry points print it and exit 69).
  const retry = { retryForMs: config.STARTUP_RETRY_MS, log, ...(signal ? { signal } : {}) };
  await reach('PostgreSQL', config.DATABASE_URL, () => ensureDatabase(config.DATABASE_URL), {
    ...retry,
    permanent: postgresPermanent,
  });
  // A commit's transaction holds its lease row (FOR SHARE) and checkpoint rows (FOR UPDATE): an
  // owner frozen inside one would keep its successor waiting for ever, so the server ends such
  // a session within half a lease's TTL, before the lease itself can be taken over.
  // Pipelined: a batch's unit of work is sent as one round trip (commit/unit-of-work.ts).
  const pool = createPool(config.DATABASE_URL, {
    applicationName: name,
    idleInTransactionTimeoutMs: Math.max(500, Math.floor(config.LEASE_TTL_MS / 2)),
    pipeline: true,
  });
  const applied = await migrate(pool);
  if (applied > 0) log.info({ applied }, 'engine migrations applied');
  const nats = await reach('NATS', config.NATS_URL, () => connectNats(config.NATS_URL, name, log), {
    ...retry,
    permanent: natsPermanent,
  }).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const streams = streamsFor(contract, config.VISTA_NAMESPACE);
  await ensureStreams(nats.jsm, streams, log);
  const es = createElasticsearch(config.ELASTICSEARCH_URL);
  const { connection } = nats;
  const pullBudget = new PullBudget(
    config.PULL_BUDGET_BYTES,
    () => connection.info?.max_payload ?? 1024 * 1024,
    log,
  );
  void pullBudget.watch(connection);
  return {
    pool,
    es,
    nats,
    contract,
    streams,
    pullBudget,
    close: async () => {
      await nats.close();
      await pool.end();
      await es.close();
    },
  };
}
