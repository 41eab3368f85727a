import type { AddressInfo } from 'node:net';
import { orExitStreamSettings } from '../shared/clients/jetstream-streams.ts';
import { orExitUnreachable } from '../shared/clients/reach.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { limitHeapGrowth } from '../shared/heap-growth.ts';
import { listenOrExit } from '../shared/listen.ts';
import { createLogger } from '../shared/log.ts';
import { createMetricsServer, createRegistry } from '../shared/metrics.ts';
import { commandSubject } from '../shared/operator-commands.ts';
import { startTracing } from '../shared/tracing.ts';
import {
  applicationModulePath,
  applicationSpecOrExit,
  engineDeps,
  LeaseManager,
  loadApplicationOrExit,
  openInfrastructure,
  ProjectionHost,
  partitionCountConflicts,
  readerThreadFor,
  recordApplication,
  registerDeadLetterMetrics,
  registerProjectionMetrics,
  serveCommands,
  statusReader,
  storeDeadLetterCap,
  workloadOf,
} from './engine/internal.ts';

/** The projector process: runs every registered projection until SIGTERM or SIGINT. */
const config = loadConfigOrExit();
limitHeapGrowth(config.HEAP_GROWTH_PERCENT);
const log = createLogger(config.LOG_LEVEL, 'vista-projectors');
// Handlers first: a SIGTERM during start-up (migrations, connections) still ends cleanly.
const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down: finishing the current batch');
    shutdown.abort();
  });
}
const stopTracing = await startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, 'vista-projectors');
const appSpec = await applicationSpecOrExit(config);
const app = await loadApplicationOrExit(appSpec);
const infrastructure = await orExitStreamSettings(
  orExitUnreachable(
    openInfrastructure(config, app.contract, 'vista-projectors', log, shutdown.signal).catch(
      (error: unknown) => {
        // Told to stop while waiting for a service: a clean stop, not a failure.
        if (!shutdown.signal.aborted) throw error;
        log.info('projectors stopped before starting');
        process.exit(0);
      },
    ),
  ),
);
if (shutdown.signal.aborted) {
  await infrastructure.close();
  log.info('projectors stopped before starting');
  process.exit(0);
}
await storeDeadLetterCap(infrastructure.pool, config.DEAD_LETTER_MAX);
// Commands given no application operate on the one this installation runs.
await recordApplication(infrastructure.pool, { name: app.name, module: applicationModulePath(appSpec) });
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
// Every process of one version must split a projection the same way: another count than its
// generation's is refused here, before any unit is owned.
const conflicts = await partitionCountConflicts(infrastructure.pool, selected);
if (conflicts.length > 0) {
  process.stderr.write(`Invalid configuration:\n  ${conflicts.join('\n  ')}\n`);
  await infrastructure.close();
  process.exit(78);
}
const readerThread = readerThreadFor(config, log);
const host = new ProjectionHost(
  selected,
  engineDeps(config, infrastructure, log, readerThread),
  new LeaseManager(config.DATABASE_URL, log, { ttlMs: config.LEASE_TTL_MS, workload: workloadOf(selected) }),
);

const registry = createRegistry();
const status = statusReader(
  infrastructure.pool,
  infrastructure.nats.jsm,
  infrastructure.streams,
  config.STALL_AFTER_S * 1000,
);
registerProjectionMetrics(registry, host, () => status.read());
registerDeadLetterMetrics(registry, infrastructure.pool);
const metrics = createMetricsServer(registry, () => host.ready);
await listenOrExit(metrics, config.METRICS_PORT, 'METRICS_PORT');
log.info(
  {
    app: app.name,
    projections: selected.map((p) => p.name),
    metrics: `http://localhost:${(metrics.address() as AddressInfo).port}/metrics`,
  },
  'projectors started',
);
// Operator actions from the API (and its console) arrive as NATS requests.
const commands = serveCommands(
  infrastructure.nats.connection,
  commandSubject(config.VISTA_NAMESPACE),
  infrastructure.pool,
  log,
  shutdown.signal,
);
await host.run(shutdown.signal);
await commands;
metrics.close();
await readerThread?.close();
await infrastructure.close();
await stopTracing();
log.info('projectors stopped');
