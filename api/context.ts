import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';

/** Per request: the connections resolvers read through, and which projections they read. */
export type ApiContext = {
  readonly pool: Pool;
  readonly log: Logger;
  /** Names of the projections this request read; their checkpoints go into `extensions.positions`. */
  readonly projectionsRead: Set<string>;
};

/** What Node's HTTP server hands graphql-yoga with every request. */
export type ServerContext = { req: IncomingMessage; res: ServerResponse };
