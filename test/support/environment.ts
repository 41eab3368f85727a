import { randomBytes } from 'node:crypto';
import shopApp from '../../examples/shop/index.ts';
import { type Application, type Infrastructure, openInfrastructure } from '../../projectors/engine/index.ts';
import type { Elasticsearch } from '../../shared/clients/elasticsearch.ts';
import { deleteStreams } from '../../shared/clients/jetstream-streams.ts';
import { dropDatabase } from '../../shared/clients/postgres.ts';
import { type Config, loadConfig } from '../../shared/config.ts';
import { createLogger, type Logger } from '../../shared/log.ts';

export interface TestEnvironment {
  readonly config: Config;
  /** The application under test: the shop unless the test gives its own. */
  readonly app: Application;
  readonly infrastructure: Infrastructure;
  readonly log: Logger;
  /** Environment variables that point a child process at this test's database and streams. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * An isolated Vista installation on the real services that `scripts/services.sh` brought up:
 * its own database and its own namespace of streams and indices, removed by `cleanup`.
 * Starts nothing itself.
 */
export async function testEnvironment(
  overrides: Record<string, string> = {},
  app: Application = shopApp,
): Promise<TestEnvironment> {
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
