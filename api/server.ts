import { createServer, type Server } from 'node:http';
import { createYoga } from 'graphql-yoga';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { ApiContext, ServerContext } from './context.ts';
import { positionsPlugin } from './positions.ts';
import { buildSchema } from './schema/index.ts';

export interface ApiDeps {
  readonly pool: Pool;
  readonly log: Logger;
}

/** The GraphQL API over the read models; `/graphql`, plus `/healthz` and `/readyz` for orchestrators. */
export function createApiServer(deps: ApiDeps): Server {
  const yoga = createYoga<ServerContext, ApiContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    // Unexpected errors reach clients as "Unexpected error." without stack or message.
    maskedErrors: true,
    logging: {
      debug: (...args) => deps.log.debug({ args }, 'yoga'),
      info: (...args) => deps.log.info({ args }, 'yoga'),
      warn: (...args) => deps.log.warn({ args }, 'yoga'),
      error: (...args) => deps.log.error({ args }, 'yoga'),
    },
    context: () => ({ pool: deps.pool, log: deps.log, projectionsRead: new Set<string>() }),
    plugins: [positionsPlugin()],
  });

  return createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.url === '/readyz') {
      deps.pool.query('SELECT 1').then(
        () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ready'),
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('postgres unreachable'),
      );
      return;
    }
    void yoga.handle(req, res);
  });
}
