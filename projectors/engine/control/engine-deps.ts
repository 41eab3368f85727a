import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import type { Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/log.ts';
import { DecodeMemo } from '../pipeline/decode-memo.ts';
import type { PipelineDeps } from '../pipeline/runner-parts.ts';
import { ReaderThread } from '../source/reader-thread/client.ts';
import type { StoreContext } from '../stores/store.ts';
import type { Infrastructure } from '../support/infrastructure.ts';

/** What a projector's host, its runners and its stores need: its clients, limits and contract. */
export interface EngineDeps extends PipelineDeps {
  readonly es: Elasticsearch;
  /**
   * How long a retired generation's storage outlives the switch: the longest a query may run,
   * so searches that started on it before the switch finish before it is dropped.
   */
  readonly retireGraceMs: number;
  /** The least time between two refreshes of a live Elasticsearch index (ELASTICSEARCH_REFRESH_MS). */
  readonly refreshSpacingMs: number;
}

/**
 * What every projection needs, from the configuration and the open connections; with a
 * `readerThread` (see `readerThreadFor`), the stream readers run there.
 */
export function engineDeps(
  config: Config,
  infrastructure: Infrastructure,
  log: Logger,
  readerThread?: ReaderThread,
): EngineDeps {
  return {
    nats: infrastructure.nats,
    js: infrastructure.nats.js,
    jsm: infrastructure.nats.jsm,
    pool: infrastructure.pool,
    es: infrastructure.es,
    streams: infrastructure.streams,
    log,
    batch: {
      maxSize: config.BATCH_SIZE,
      maxBytes: config.BATCH_MAX_BYTES,
      idleMs: config.BATCH_IDLE_MS,
      maxWaitMs: config.BATCH_MAX_WAIT_MS,
      lingerMs: config.BATCH_LINGER_MS,
    },
    pullBudget: infrastructure.pullBudget,
    ...(readerThread ? { readerThread } : {}),
    contract: infrastructure.contract,
    decoded: new DecodeMemo(),
    retireGraceMs: config.QUERY_TIMEOUT_MS,
    refreshSpacingMs: config.ELASTICSEARCH_REFRESH_MS,
  };
}

/** The clients a store uses, from the engine's. */
export function storeContext(deps: EngineDeps): StoreContext {
  return {
    pool: deps.pool,
    es: deps.es,
    log: deps.log,
    namespace: deps.streams.namespace,
    refreshSpacingMs: deps.refreshSpacingMs,
  };
}

/**
 * The process's reader thread when READER_THREAD asks for one (started at its first read); the
 * process closes it after its projections stopped, before the infrastructure.
 */
export function readerThreadFor(config: Config, log: Logger): ReaderThread | undefined {
  if (!config.READER_THREAD) return undefined;
  return new ReaderThread(
    { natsUrl: config.NATS_URL, pullBudgetBytes: config.PULL_BUDGET_BYTES, logLevel: config.LOG_LEVEL },
    log,
  );
}
