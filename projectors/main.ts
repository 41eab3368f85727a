import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { ProjectionHost } from './engine/host.ts';
import { LeaseManager } from './engine/lease.ts';
import { openInfrastructure, runnerDeps } from './infrastructure.ts';
import { PROJECTIONS } from './registry.ts';

/** The projector process: runs every registered projection until SIGTERM or SIGINT. */
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'vista-projectors');
const infrastructure = await openInfrastructure(config, 'vista-projectors', log);
const host = new ProjectionHost(
  PROJECTIONS,
  runnerDeps(config, infrastructure, log),
  new LeaseManager(config.DATABASE_URL, log),
);

const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down: finishing the current batch');
    shutdown.abort();
  });
}
log.info({ projections: PROJECTIONS.map((p) => p.name) }, 'projectors started');
await host.run(shutdown.signal);
await infrastructure.close();
log.info('projectors stopped');
