import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { createMetricsServer, processSamples } from '../shared/metrics.ts';
import {
  LeaseManager,
  loadApplicationOrExit,
  openInfrastructure,
  ProjectionHost,
  runnerDeps,
} from './engine/index.ts';
import { projectionSamples } from './engine/metrics.ts';

/** The projector process: runs every registered projection until SIGTERM or SIGINT. */
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'vista-projectors');
// Handlers first: a SIGTERM during start-up (migrations, connections) still ends cleanly.
const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down: finishing the current batch');
    shutdown.abort();
  });
}
const app = await loadApplicationOrExit(config.VISTA_APP);
const infrastructure = await openInfrastructure(config, app.contract, 'vista-projectors', log);
if (shutdown.signal.aborted) {
  await infrastructure.close();
  log.info('projectors stopped before starting');
  process.exit(0);
}
const unknown = config.PROJECTIONS.filter((name) => !app.projections.some((p) => p.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `Invalid configuration:\n  PROJECTIONS: unknown projection(s) ${unknown.join(', ')}\n`,
  );
  process.exit(78);
}
const selected = app.projections.filter(
  (p) => config.PROJECTIONS.length === 0 || config.PROJECTIONS.includes(p.name),
);
const host = new ProjectionHost(
  selected,
  runnerDeps(config, infrastructure, log),
  new LeaseManager(config.DATABASE_URL, log),
);

const metrics = createMetricsServer(
  () => [...projectionSamples(host), ...processSamples()],
  () => host.ready,
);
metrics.listen(config.METRICS_PORT, '0.0.0.0');
await once(metrics, 'listening');
log.info(
  {
    app: app.name,
    projections: selected.map((p) => p.name),
    metrics: `http://localhost:${(metrics.address() as AddressInfo).port}/metrics`,
  },
  'projectors started',
);
await host.run(shutdown.signal);
metrics.close();
await infrastructure.close();
log.info('projectors stopped');
