import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import { deleteStreams, streamHeads } from '../../../shared/clients/jetstream-streams.ts';
import { dropDatabase } from '../../../shared/clients/postgres.ts';
import { type Config, loadConfig } from '../../../shared/config.ts';
import { createLogger, type Logger } from '../../../shared/log.ts';
import type { Application } from '../definition/application.ts';
import { type Infrastructure, openInfrastructure } from '../support/infrastructure.ts';

export interface Installation {
  readonly config: Config;
  readonly app: Application;
  readonly infrastructure: Infrastructure;
  readonly log: Logger;
  /** Environment variables that point a child process at this test's database and streams. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * An isolated installation of `app` on real services, for integration tests and benchmarks:
 * its own database and its own namespace of streams and indices, all removed by `cleanup`.
 * Starts no service itself; the configuration comes from the environment (and `overrides`).
 */
export async function isolatedInstallation(
  app: Application,
  overrides: Record<string, string> = {},
): Promise<Installation> {
  const namespace = `t${randomBytes(4).toString('hex')}`;
  const base = loadConfig(process.env);
  const databaseUrl = new URL(base.DATABASE_URL);
  databaseUrl.pathname = `/vista_test_${namespace}`;
  const env = {
    DATABASE_URL: databaseUrl.toString(),
    VISTA_NAMESPACE: namespace,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    // Several projector processes per test: each takes a free metrics port.
    METRICS_PORT: '0',
    NATS_URL: base.NATS_URL,
    ELASTICSEARCH_URL: base.ELASTICSEARCH_URL,
    ...overrides,
  };
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL, `test-${namespace}`);
  const infrastructure = await openInfrastructure(config, app.contract, `test-${namespace}`, log);
  return {
    config,
    app,
    infrastructure,
    log,
    env,
    cleanup: async () => {
      await deleteStreams(infrastructure.nats.jsm, infrastructure.streams);
      await deleteIndices(infrastructure.es, namespace);
      await infrastructure.close();
      await dropDatabase(config.DATABASE_URL);
    },
  };
}

/**
 * Deletes a namespace's Elasticsearch indices, by name: Elasticsearch 8 refuses wildcard
 * deletes by default. Left behind, they pile up on the shared node (its data outlives the
 * checkout) until it reaches its limit of 1000 shards.
 */
async function deleteIndices(es: Elasticsearch, namespace: string): Promise<void> {
  const indices = await es.indices.get({
    index: `${namespace}-*`,
    allow_no_indices: true,
    ignore_unavailable: true,
  });
  const names = Object.keys(indices);
  if (names.length > 0) await es.indices.delete({ index: names, ignore_unavailable: true });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until every live generation's checkpoint is at its streams' heads, with `sources`
 * checkpoint rows in all (one per projection and stream it reads), whatever the application.
 */
export async function waitForLiveViews(
  env: Installation,
  sources: number,
  timeoutMs = 120_000,
): Promise<void> {
  const { nats, streams, pool } = env.infrastructure;
  const heads = await streamHeads(nats.jsm, streams);
  await eventually(
    async () => {
      const { rows } = await pool
        .query<{ behind: number; sources: number }>(
          `SELECT count(*)::int AS sources,
                  count(*) FILTER (WHERE c.position < coalesce(($1::jsonb ->> c.stream)::bigint, 0))::int AS behind
             FROM vista_positions c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation`,
          [JSON.stringify(heads)],
        )
        .catch(() => ({ rows: [] }));
      return rows[0]?.sources === sources && rows[0]?.behind === 0 ? true : undefined;
    },
    timeoutMs,
    'every live view to reach the stream heads',
  );
}

/** A TCP port nobody listens on right now (for an API or metrics server under test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
