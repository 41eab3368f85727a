import type { IncomingMessage, ServerResponse } from 'node:http';
import type DataLoader from 'dataloader';
import type { Elasticsearch } from '../shared/clients/elasticsearch.ts';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { CustomerStats } from './schema/customers.ts';

/** What every resolver may use: the read models' stores and per-request loaders. */
export type ApiContext = {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  /** The Elasticsearch alias of the products view. */
  readonly productsAlias: string;
  readonly log: Logger;
  readonly watcher: CheckpointWatcher;
  /** Stream heads, for lag; undefined when NATS is unreachable. */
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  /** Batches the customer lookups of one request into one query (no N+1). */
  readonly customers: DataLoader<string, CustomerStats | null>;
};

/** What Node's HTTP server hands graphql-yoga with every request. */
export type ServerContext = { req: IncomingMessage; res: ServerResponse };
