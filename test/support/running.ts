import { type Api, createApi } from '../../api/app.ts';
import type { Projection } from '../../projectors/engine/define.ts';
import { ProjectionHost } from '../../projectors/engine/host.ts';
import { LeaseManager } from '../../projectors/engine/lease.ts';
import { runnerDeps } from '../../projectors/infrastructure.ts';
import { PROJECTIONS } from '../../projectors/registry.ts';
import type { TestEnvironment } from './environment.ts';
import { serve } from './graphql.ts';

/** Runs projections in this process (all registered ones by default) until `stop`. */
export function runProjections(env: TestEnvironment, projections: readonly Projection[] = PROJECTIONS) {
  const controller = new AbortController();
  const host = new ProjectionHost(
    projections,
    runnerDeps(env.config, env.infrastructure, env.log),
    new LeaseManager(env.config.DATABASE_URL, env.log),
  );
  const running = host.run(controller.signal);
  return {
    host,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

/** The API of this environment, listening on a free port, with a GraphQL client for it. */
export async function startApi(env: TestEnvironment) {
  const app: Api = await createApi(env.config, env.log);
  const client = await serve(app.server);
  return {
    ...client,
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
