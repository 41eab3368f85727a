import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { eventually, freePort } from '../../projectors/engine/internal.ts';
import { splitSchema } from '../../shared/clients/database-url.ts';
import type { Target } from './api-rate.ts';

export type Dialect = 'Vista' | 'PostGraphile';

/** A GraphQL server under test, as its own process. */
export interface Contender {
  readonly name: string;
  /** Whose GraphQL schema it serves: which spelling of each query it takes. */
  readonly dialect: Dialect;
  readonly url: string;
  /** CPU seconds (user + system) its processes have used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of live processes, from /proc/<pid>/stat (a process that is gone counts 0). */
function cpuOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks / TICKS;
}

/** The processes of a process group (npx and the server it forked). */
function groupMembers(pgid: number): number[] {
  try {
    return execFileSync('pgrep', ['-g', String(pgid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Vista's API process (`api/main.ts` of the checkout `root`, this one by default) on a free
 * port with the environment `env`; `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startVista(
  env: Record<string, string>,
  options: { name?: string; root?: string; nodeArgs?: readonly string[] } = {},
) {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'api/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: 'ignore',
    ...(options.root ? { cwd: options.root } : {}),
  });
  const contender: Contender = {
    name: options.name ?? 'Vista',
    dialect: 'Vista',
    url: `http://127.0.0.1:${port}/graphql`,
    cpuSeconds: () => cpuOf(child.pid === undefined ? [] : [child.pid]),
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
  return contender;
}

/**
 * PostGraphile 4 over the same database, run with npx in /tmp so that its graphql 15 never
 * meets ours. npx forks PostGraphile, so the whole process group is stopped.
 */
export async function startPostGraphile(databaseUrl: string) {
  const port = await freePort();
  // The installation's tables live in its namespace's schema, named in the URL.
  const { connectionString, schema } = splitSchema(databaseUrl);
  const child = spawn(
    'npx',
    [
      '-y',
      'postgraphile@4.14.1',
      '-c',
      connectionString,
      '--schema',
      schema ?? 'public',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--disable-query-log',
    ],
    { stdio: 'ignore', cwd: '/tmp', detached: true },
  );
  const contender: Contender = {
    name: 'PostGraphile',
    dialect: 'PostGraphile',
    url: `http://127.0.0.1:${port}/graphql`,
    cpuSeconds: () => cpuOf(child.pid === undefined ? [] : groupMembers(child.pid)),
    stop: async () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exited(child);
    },
  };
  return contender;
}

/** One query of the benchmark, as each contender that can serve it spells it. */
export interface BenchQuery {
  readonly name: string;
  readonly bodies: Readonly<Partial<Record<Dialect, string>>>;
}

const graphql = (query: string) => JSON.stringify({ query });
const ORDER_FIELDS = 'id status totalCents paidCents placedAt';
const DAY_FIELDS = 'day category units revenueCents';

/**
 * The queries, same rows and fields for both contenders. Every Vista field here is derived
 * from its view's public shape (api/derive/). PostGraphile reads the same views (no primary
 * key, so no `orderById`: a `condition` on id is its lookup, through the same index) and
 * orders pages by the same keys. Its `condition` is equality only (range filters need its
 * connection-filter plugin), so the filtered list filters on equality on both sides. Products
 * live in Elasticsearch, which PostGraphile cannot read: `searchProducts` is Vista's alone.
 */
export function benchQueries(orderId: string): BenchQuery[] {
  return [
    {
      name: 'orders(first: 20)',
      bodies: {
        Vista: graphql(`{ orders(first: 20) { edges { node { ${ORDER_FIELDS} } } } }`),
        PostGraphile: graphql(
          `{ allOrders(first: 20, orderBy: [PLACED_AT_DESC, ID_DESC]) { edges { node { ${ORDER_FIELDS} } } } }`,
        ),
      },
    },
    {
      name: 'order(id)',
      bodies: {
        Vista: graphql(`{ order(id: "${orderId}") { ${ORDER_FIELDS} } }`),
        PostGraphile: graphql(`{ allOrders(condition: { id: "${orderId}" }) { nodes { ${ORDER_FIELDS} } } }`),
      },
    },
    {
      name: 'orders(where: status, orderBy: totalCents)',
      bodies: {
        Vista: graphql(
          `{ orders(first: 20, where: { status: { eq: PAID } }, orderBy: [{ totalCents: DESC }]) { edges { node { ${ORDER_FIELDS} } } } }`,
        ),
        PostGraphile: graphql(
          `{ allOrders(first: 20, condition: { status: "PAID" }, orderBy: [TOTAL_CENTS_DESC, ID_DESC]) { edges { node { ${ORDER_FIELDS} } } } }`,
        ),
      },
    },
    {
      name: 'dailySales(first: 20)',
      bodies: {
        Vista: graphql(`{ dailySales(first: 20) { edges { node { ${DAY_FIELDS} } } } }`),
        PostGraphile: graphql(
          `{ allDailySales(first: 20, orderBy: [DAY_DESC, CATEGORY_DESC]) { edges { node { ${DAY_FIELDS} } } } }`,
        ),
      },
    },
    {
      name: 'searchProducts',
      bodies: {
        Vista: graphql(
          '{ searchProducts(query: "wireless kettle", first: 20) { edges { node { id name priceCents } } } }',
        ),
      },
    },
  ];
}

/** Waits until `target` answers its query without errors (PostGraphile introspects at start). */
export async function answering(target: Target, timeoutMs = 120_000): Promise<void> {
  await eventually(
    () =>
      fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: target.body,
      }).then(
        async (r) => (r.ok && !(await r.text()).includes('"errors"') ? true : undefined),
        () => undefined,
      ),
    timeoutMs,
    target.url,
  );
}
