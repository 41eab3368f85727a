import { once } from 'node:events';
import { createPool } from '../shared/clients/postgres.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { createApiServer } from './server.ts';

/** The API process: serves GraphQL until SIGTERM or SIGINT. */
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'vista-api');
const pool = createPool(config.DATABASE_URL, { applicationName: 'vista-api', max: 20 });
const server = createApiServer({ pool, log });
server.listen(config.PORT, '0.0.0.0');
await once(server, 'listening');
log.info({ url: `http://localhost:${config.PORT}/graphql` }, 'GraphQL API listening');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    server.close(() => void pool.end().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
