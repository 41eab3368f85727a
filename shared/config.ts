import { z } from 'zod';
import { inSchema, schemaFor } from './clients/database-url.ts';

/**
 * Vista's whole configuration, read once from the environment at start-up and passed down.
 * Nothing else reads `process.env`: a bad value stops start-up here, naming the variable.
 */
/**
 * A decimal integer, written as digits only: `z.coerce.number()` would also take `4e3`,
 * `0x1150`, `1_000` or ` 80 `, so a typo or a hex value would silently become another number.
 */
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, `must be a decimal integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`));

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** A size in bytes, written as a plain decimal integer. */
const bytes = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a number of bytes (digits only)')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be at least ${min} (${humanBytes(min)})`)
        .max(max, `must be at most ${max} (${humanBytes(max)})`),
    );

function humanBytes(n: number): string {
  if (n >= GIB) return `${n / GIB} GiB`;
  return n >= MIB ? `${n / MIB} MiB` : `${n / KIB} KiB`;
}

const url = (protocols: string[]) =>
  z.url().refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
    message: `must use ${protocols.map((p) => `${p}//`).join(' or ')}`,
  });

const ConfigSchema = z
  .object({
    /** One NATS URL, or a comma-separated list of a cluster's (the client fails over between them). */
    NATS_URL: z
      .string()
      .refine(
        (list) =>
          list.split(',').every((one) => {
            const value = one.trim();
            return URL.canParse(value) && ['nats:', 'tls:', 'ws:', 'wss:'].includes(new URL(value).protocol);
          }),
        { message: 'must be nats://, tls://, ws:// or wss:// URLs, comma-separated for a cluster' },
      )
      .default('nats://127.0.0.1:4222'),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/vista'),
    ELASTICSEARCH_URL: url(['http:', 'https:']).default('http://127.0.0.1:9200'),
    PORT: integer(1, 65535).default(4000),
    /** Port of the projector's Prometheus `/metrics` endpoint; 0 picks a free one. */
    METRICS_PORT: integer(0, 65535).default(9464),
    /**
     * The API's own database URL. Unset: the API creates (when it may) and uses the role
     * `vista_api`, which can only SELECT, on DATABASE_URL's server and database.
     */
    API_DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    /** How long a read-your-writes request waits for the projections it reads, at most. */
    CONSISTENCY_TIMEOUT_MS: integer(0, 60_000).default(5000),
    /** Longest a query may run in PostgreSQL or Elasticsearch before it is cancelled. */
    QUERY_TIMEOUT_MS: integer(100, 120_000).default(10_000),
    /** Deepest selection a query may nest, and the most it may cost (fields × page sizes). */
    MAX_QUERY_DEPTH: integer(2, 50).default(10),
    MAX_QUERY_COST: integer(10, 1_000_000).default(20_000),
    /**
     * Largest answer, in bytes of JSON, the API sends for a request or a subscription event:
     * a larger one is a RESPONSE_TOO_LARGE error (and a request stops reading from the stores
     * at 4× this).
     */
    MAX_RESPONSE_BYTES: integer(65_536, 268_435_456).default(4_194_304),
    /** Comma-separated origins allowed by CORS; `*` allows any. */
    CORS_ORIGINS: z
      .string()
      .default('*')
      .transform((list) =>
        list
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      ),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Isolates one Vista installation from another on shared servers: prefixes stream names,
     * NATS subjects and Elasticsearch index names, and keeps the installation's tables in a
     * PostgreSQL schema of that name. Empty in production (the public contract's subjects, the
     * `public` schema); tests set one per run.
     */
    VISTA_NAMESPACE: z
      .string()
      .regex(/^([a-z][a-z0-9_]{0,30})?$/, 'must be empty or lower-case letters, digits and _ (max 31)')
      .refine(
        (name) => !name.startsWith('pg_') && !['public', 'information_schema'].includes(name),
        'must not be a name PostgreSQL reserves for its own schemas (pg_…, public, information_schema)',
      )
      .default(''),
    /**
     * The application to run: a path to a module whose default export is
     * `defineApplication(…)` (relative paths start at the working directory), or in Vista's
     * repository a folder name under `examples/` (`shop`, `ledger`). `--app` sets it. Unset:
     * the application the installation recorded at start-up; there is no default.
     */
    VISTA_APP: z
      .string()
      .min(1)
      .regex(/^[^\0]*$/, 'must not contain NUL')
      .optional(),
    /**
     * Comma-separated projection names this projector process runs; empty runs all registered
     * ones. Lets operators spread projections over processes, and benchmarks isolate one.
     */
    PROJECTIONS: z
      .string()
      .regex(/^[a-z0-9_]*(,[a-z0-9_]+)*$/, 'must be a comma-separated list of projection names')
      .default('')
      .transform((list) => (list ? list.split(',') : [])),
    /**
     * How long the projector, the API and the CLI retry reaching PostgreSQL and NATS at start-up
     * before they give up naming the service (exit 69); 0: try once.
     */
    STARTUP_RETRY_MS: integer(0, 3_600_000).default(60_000),
    /** Largest number of events folded and written in one batch. */
    BATCH_SIZE: integer(1, 100_000).default(2000),
    /**
     * Largest batch in bytes of event payloads (a batch holds at least one event): with events
     * of a megabyte, BATCH_SIZE alone would let a batch reach gigabytes.
     */
    BATCH_MAX_BYTES: bytes(64 * KIB, GIB).default(8 * MIB),
    /**
     * Bytes that a projector process's stream readers together may have pulled from NATS and not
     * yet handed on. They share one connection, which the server cuts off as a slow consumer once
     * more than its `max_pending` (64 MiB by default) waits for it: keep this well below that.
     */
    PULL_BUDGET_BYTES: bytes(4 * MIB, GIB).default(32 * MIB),
    /**
     * How far a projector process lets V8's old generation grow past what survived its last full
     * collection, in percent (50: the next one at 1.5×); 0 leaves it to V8, which grows it up to
     * 4× when collecting looks cheap. Lower holds a rebuild's peak RSS lower at the cost of more
     * full collections (see docs/operations.md, "Memory").
     */
    HEAP_GROWTH_PERCENT: z
      .string()
      .regex(/^[0-9]{1,4}$/, 'must be 0 (V8 decides) or a decimal integer from 10 to 300')
      .transform(Number)
      .refine((n) => n === 0 || (n >= 10 && n <= 300), 'must be 0 (V8 decides) or from 10 to 300')
      .default(0),
    /**
     * `true`: a projector process reads its streams on a thread of its own, with its own NATS
     * connection, and hands the messages to the main thread packed. The main thread, the limit
     * of a catch-up, then spends about a fifth less per event (see docs/operations.md).
     */
    READER_THREAD: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
    /**
     * How long a partial batch waits for more events before it is written anyway. Not waited
     * when the broker says the sources hold nothing more (their newest messages count none
     * pending): then the batch is written at once.
     */
    BATCH_IDLE_MS: integer(0, 10_000).default(5),
    /**
     * …and at the latest this long after its first event, however steady the trickle: under a
     * live load the idle time never comes, so this bounds how stale a view gets.
     */
    BATCH_MAX_WAIT_MS: integer(1, 60_000).default(20),
    /**
     * How long a partial batch waits at least after its first event, even when nothing more
     * is on its way: fewer, larger commits at the live tail, each event visible later by up to
     * this long. At most BATCH_MAX_WAIT_MS.
     */
    BATCH_LINGER_MS: integer(0, 60_000).default(0),
    /**
     * How long a projection's lease stays valid after its owner's last renewal: an owner that
     * stops renewing (dead, frozen, cut off) is replaced after at most this long.
     */
    LEASE_TTL_MS: integer(1000, 60_000).default(4000),
    /**
     * The least time between two refreshes of a live Elasticsearch index. Every batch is
     * searchable before its checkpoint moves, so by default each refreshes at once; a refresh
     * costs the same for ten documents as for a thousand, and spacing them lets a batch that
     * comes sooner wait (inside its transaction) for its turn, while the next one grows.
     */
    ELASTICSEARCH_REFRESH_MS: integer(0, 1000).default(0),
    /**
     * Most unresolved dead letters a projection's generation keeps; past it a poison event is
     * skipped and counted, not kept (see projectors/engine/poison/dead-letters.ts for why).
     */
    DEAD_LETTER_MAX: integer(1, 10_000_000).default(10_000),
    /** A projection with lag whose checkpoint has not moved for this long is `stalled`. */
    STALL_AFTER_S: integer(1, 86_400).default(60),
    /**
     * Bearer token that allows operator actions (rebuild, retry and skip dead letters) through
     * the GraphQL API and the console. Unset: the API is read-only for everyone.
     */
    OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * OpenTelemetry collector (OTLP/HTTP), e.g. `http://127.0.0.1:4318`: when set, projectors and
     * the API export traces there (spans per publish, per batch, per GraphQL operation).
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  })
  // A batch waiting for its refresh keeps its transaction open, which the server ends after
  // LEASE_TTL_MS / 2 idle (projectors/engine/support/infrastructure.ts): leave room for the write.
  .refine((config) => config.ELASTICSEARCH_REFRESH_MS <= config.LEASE_TTL_MS / 4, {
    path: ['ELASTICSEARCH_REFRESH_MS'],
    message: 'must be at most a quarter of LEASE_TTL_MS',
  })
  // BATCH_MAX_WAIT_MS bounds every wait of a batch: a longer linger would never be waited.
  .refine((config) => config.BATCH_LINGER_MS <= config.BATCH_MAX_WAIT_MS, {
    path: ['BATCH_LINGER_MS'],
    message: 'must be at most BATCH_MAX_WAIT_MS',
  })
  // The database URLs carry the installation's schema from here on (see database-url.ts).
  .transform((config) => {
    const schema = schemaFor(config.VISTA_NAMESPACE);
    return {
      ...config,
      DATABASE_URL: inSchema(config.DATABASE_URL, schema),
      API_DATABASE_URL: config.API_DATABASE_URL && inSchema(config.API_DATABASE_URL, schema),
    };
  });

export type Config = z.infer<typeof ConfigSchema>;

/** Variables whose values are never printed. */
const SECRETS = new Set(['OPERATOR_TOKEN']);

/**
 * A value as a configuration error may print it: any `user:password@` in it (a URL's, even an
 * unparseable one's, such as `mysql://u:s3cret@h/db`) has its password shown as `***`.
 */
export function shownValue(variable: string, value: string): string {
  // A secret is never echoed, not even a wrong one (it may be a real token set in the wrong place).
  if (SECRETS.has(variable)) return `<hidden, ${value.length} characters>`;
  return JSON.stringify(value.replace(/(\/\/[^/@:\s]*):[^/@\s]*@/g, '$1:***@'));
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/** Parses the environment; throws a ConfigError that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" so that `FOO= npm start` falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.');
    return `  ${variable}=${shownValue(variable, env[variable] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** For process entry points: a bad configuration prints what is wrong and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}
