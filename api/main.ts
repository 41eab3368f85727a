// First: before anything imports graphql (see the module).
import './production-mode.ts';
import { applicationSpecOrExit, loadApplicationOrExit } from '../projectors/engine/internal.ts';
import { orExitUnreachable } from '../shared/clients/reach.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { listenOrExit } from '../shared/listen.ts';
import { createLogger } from '../shared/log.ts';
import { startTracing } from '../shared/tracing.ts';
import { createApi } from './app.ts';

/** The API process: serves GraphQL until SIGTERM or SIGINT. */
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'vista-api');
const stopTracing = await startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, 'vista-api');
const app = await loadApplicationOrExit(await applicationSpecOrExit(config));
const api = await orExitUnreachable(createApi(config, app, log));
await listenOrExit(api.server, config.PORT, 'PORT');
log.info(
  {
    app: app.name,
    url: `http://localhost:${config.PORT}/graphql`,
    console: `http://localhost:${config.PORT}/console`,
    operatorActions: config.OPERATOR_TOKEN ? 'enabled (OPERATOR_TOKEN)' : 'disabled (no OPERATOR_TOKEN)',
    tracing: config.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'off',
  },
  'GraphQL API listening',
);
// `vista start` waits for this: its own API is up (not another program on the port).
process.send?.({ vista: 'listening', port: config.PORT });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void api
      .close()
      .then(stopTracing)
      .then(() => process.exit(0));
  });
}
