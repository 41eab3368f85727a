import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import type { Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/log.ts';
import { DecodeMemo } from '../pipeline/decode-memo.ts';
import type { PipelineDeps } from '../pipeline/runner-parts.ts';
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

/** What every projection needs, from the configuration and the open connections. */
export function engineDeps(config: Config, infrastructure: Infrastructure, log: Logger): EngineDeps {
  return {
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
    },
    pullBudget: infrastructure.pullBudget,
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
