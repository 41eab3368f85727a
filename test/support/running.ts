import { type Api, createApi } from '../../api/app.ts';
import {
  engineDeps,
  LeaseManager,
  type Projection,
  ProjectionHost,
  readerThreadFor,
} from '../../projectors/engine/internal.ts';
import type { TestEnvironment } from './environment.ts';
import { serve } from './graphql.ts';

/**
 * Runs projections in this process (all of the environment's application by default) until
 * `stop`, as a projector process would with the environment's configuration (READER_THREAD
 * included).
 */
export function runProjections(
  env: TestEnvironment,
  projections: readonly Projection[] = env.app.projections,
) {
  const controller = new AbortController();
  const readerThread = readerThreadFor(env.config, env.log);
  const host = new ProjectionHost(
    projections,
    engineDeps(env.config, env.infrastructure, env.log, readerThread),
    new LeaseManager(env.config.DATABASE_URL, env.log),
  );
  const running = host.run(controller.signal);
  return {
    host,
    stop: async () => {
      controller.abort();
      await running;
      await readerThread?.close();
    },
  };
}

/** The API of this environment, listening on a free port, with a GraphQL client for it. */
export async function startApi(env: TestEnvironment) {
  const app: Api = await createApi(env.config, env.app, env.log);
  const client = await serve(app.server);
  return {
    ...client,
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
