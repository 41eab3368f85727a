#!/usr/bin/env node
import { hostname, userInfo } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { orExitStreamSettings, streamHeads } from '../shared/clients/jetstream-streams.ts';
import { EXIT_UNAVAILABLE, ServiceUnreachableError } from '../shared/clients/reach.ts';
import { type Config, loadConfigOrExit } from '../shared/config.ts';
import { limitHeapGrowth, rebuildHeapGrowth } from '../shared/heap-growth.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import type { OperatorCommand } from '../shared/operator-commands.ts';
import {
  type Application,
  applicationSpecOrExit,
  describeNotKept,
  engineDeps,
  executeCommand,
  type Infrastructure,
  listDeadLetters,
  listNotKept,
  loadApplicationOrExit,
  openInfrastructure,
  parseStartPosition,
  publishMany,
  RebuildHaltedError,
  readerThreadFor,
  rebuild,
  type StartPosition,
  type StatusReport,
  statusReader,
} from './engine/internal.ts';
import { applicationFromCaller, startInstallation } from './start.ts';

const USAGE = `Usage: vista <command> [--app PATH] [arguments]   (in Vista's repository: npm run vista -- …)

--app PATH names the application module (its default export is defineApplication(…)), relative
to the current directory; VISTA_APP does the same. Without either, a command operates on the
application the installation recorded when its projectors started.

Running:
  start [--demo]                       migrations, streams (and with --demo, the application's demo
                                       history when its streams are empty), then the projectors and
                                       the API until Ctrl-C
  projectors                           the projector process alone
  api                                  the GraphQL API process alone
  check                                load the application, run every definition check, derive
                                       its GraphQL schema, and typecheck it when TypeScript is there
Operating:
  publish-demo --events N [--seed S]   publish a seeded-random demo history through the event contract
  status                               status, positions, lag, events/s and dead letters per projection
  rebuild <projection> [--start STREAM=FROM]...
                                       rebuild into a new generation, then switch over; each source
                                       from sequence 1 unless --start says otherwise (FROM: a
                                       sequence, an ISO time, new or beginning)
  dead-letters <projection>            list a projection's unresolved dead letters
  retry-dead-letters <projection>      retry them after a fix (a halted projection resumes)
  skip-dead-letter <projection> <id>   resolve one without applying it (a projection halted on it moves on)
`;

/**
 * The command line without `--app PATH` (or `--app=PATH`), which may stand anywhere and sets
 * VISTA_APP for this process and those it starts.
 */
function takeAppOption(args: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const inline = /^--app=(.*)$/s.exec(arg);
    if (arg !== '--app' && !inline) {
      rest.push(arg);
      continue;
    }
    const value = inline ? inline[1] : args[++i];
    if (!value) throw new UsageError('--app needs the path of an application module');
    process.env.VISTA_APP = applicationFromCaller(value);
  }
  return rest;
}

// Set by `prepare` for the commands that operate on an installation.
let config: Config;
let log: Logger;
let app: Application;

async function prepare(): Promise<void> {
  config = loadConfigOrExit();
  log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 'vista-cli');
  app = await loadApplicationOrExit(await applicationSpecOrExit(config));
}

/**
 * node:util's parseArgs (strict: unknown options and stray arguments refused), its TypeErrors
 * turned into usage errors that say what was wrong.
 */
function parse<const O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
  positionals = 0,
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`${command}: unexpected argument ${parsed.positionals[positionals]}`);
  }
  return parsed;
}

/** The projection a command names, or a usage error listing those there are. */
function projectionNamed(command: string, name: string | undefined) {
  const names = app.projections.map((p) => p.name).join(', ');
  if (!name) throw new UsageError(`${command} needs a projection name, one of: ${names}`);
  const projection = app.projections.find((p) => p.name === name);
  if (!projection) throw new UsageError(`${command}: unknown projection ${name}; known: ${names}`);
  return projection;
}

async function publishDemo(args: string[]): Promise<void> {
  const { values } = parse('publish-demo', args, { events: { type: 'string' }, seed: { type: 'string' } });
  const events = Number(values.events ?? 10_000);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isSafeInteger(events) || events < 1) {
    throw new UsageError(`publish-demo: --events must be a positive integer, got ${values.events}`);
  }
  if (!Number.isSafeInteger(seed))
    throw new UsageError(`publish-demo: --seed must be an integer, got ${values.seed}`);
  const { demo } = app;
  if (!demo) throw new UsageError(`the application ${app.name} has no demo history`);
  await withInfrastructure(async (infrastructure) => {
    const started = performance.now();
    const report = await publishMany(infrastructure.nats.js, infrastructure.streams, demo({ events, seed }), {
      onProgress: (n) => process.stderr.write(`\r  published ${n}/${events}`),
    });
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write('\n');
    console.log(
      `published ${report.published} events (seed ${seed}) in ${seconds.toFixed(1)} s, ${Math.round(report.published / seconds)} events/s`,
    );
    const heads = await streamHeads(infrastructure.nats.jsm, infrastructure.streams);
    for (const [stream, last] of Object.entries(heads))
      console.log(`  ${stream.padEnd(9)} last sequence ${last}`);
  });
}

/** Opens the infrastructure for one command and closes it afterwards, whatever happens. */
async function withInfrastructure(work: (infrastructure: Infrastructure) => Promise<void>): Promise<void> {
  const infrastructure = await orExitStreamSettings(
    openInfrastructure(config, app.contract, 'vista-cli', log),
  );
  try {
    await work(infrastructure);
  } finally {
    await infrastructure.close();
  }
}

/** Reads the status twice a second apart: the position deltas are the events/s. */
function status(): Promise<void> {
  return withInfrastructure(async ({ pool, nats, streams }) => {
    const reader = statusReader(pool, nats.jsm, streams, config.STALL_AFTER_S * 1000);
    const before = await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rows = await reader.read();
    const notKept = await listNotKept(pool);
    if (rows.length === 0) console.log('no projections have run yet');
    for (const row of rows) {
      const earlier = before.find((b) => b.name === row.name && b.generation === row.generation);
      const sum = (r: StatusReport | undefined) =>
        r?.streams.reduce((total, s) => total + s.position, 0) ?? 0;
      const rate = earlier ? sum(row) - sum(earlier) : 0;
      console.log(
        `${row.name.padEnd(16)} v${row.version} g${row.generation} ${row.role.padEnd(8)} ${row.status.padEnd(11)} ${String(rate).padStart(7)} events/s  dead letters ${row.deadLetters}${row.detail ? `\n  ${row.detail}` : ''}`,
      );
      for (const s of row.streams)
        console.log(
          `  ${s.stream.padEnd(9)} position ${s.position}  lag ${s.lag}${s.lag > 0 ? ` (${s.lagSeconds.toFixed(1)} s)` : ''}${s.start === 'beginning' ? '' : `  (started at ${s.start})`}`,
        );
      // The owner of each unit: of the projection, or of each of its partitions when split.
      for (const p of row.partitions) {
        const where = row.partitions.length > 1 ? `partition ${p.index}` : 'owner';
        const behind = p.positions.reduce((sum, s) => sum + s.lag, 0);
        const extra = row.partitions.length > 1 ? `  ${p.status ?? 'not started'}  lag ${behind}` : '';
        console.log(`  ${where.padEnd(12)} ${p.owner ?? 'none'}${extra}`);
      }
      for (const n of notKept.filter((n) => n.projection === row.name && n.generation === row.generation))
        console.log(`  ${describeNotKept(n)}`);
    }
  });
}

function rebuildCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse('rebuild', args, { start: { type: 'string', multiple: true } }, 1);
  // The rebuild runs in this process when no projector runs: a catch-up over the whole history.
  limitHeapGrowth(rebuildHeapGrowth(config.HEAP_GROWTH_PERCENT, process.env));
  const projection = projectionNamed('rebuild', positionals[0]);
  const start: Record<string, StartPosition> = {};
  for (const entry of values.start ?? []) {
    const at = entry.indexOf('=');
    if (at < 1)
      throw new UsageError(`--start ${entry}: expected STREAM=FROM, e.g. ORDERS=2026-06-01T00:00:00Z`);
    const stream = entry.slice(0, at).toUpperCase();
    const sources = projection.sources.map((s) => s.stream);
    if (!sources.includes(stream)) {
      throw new UsageError(`--start ${entry}: ${projection.name} reads ${sources.join(', ')}, not ${stream}`);
    }
    try {
      start[stream] = parseStartPosition(entry.slice(at + 1));
    } catch (error) {
      throw new UsageError(`--start ${entry}: ${(error as Error).message}`);
    }
  }
  return withInfrastructure(async (infrastructure) => {
    const tty = process.stderr.isTTY;
    let lastPrinted = 0;
    const readerThread = readerThreadFor(config, log);
    const { seconds, events } = await rebuild(
      projection,
      engineDeps(config, infrastructure, log, readerThread),
      config.DATABASE_URL,
      log,
      (line, final) => {
        // On a terminal the bar redraws in place; elsewhere (CI, logs) a line every 5 s.
        if (tty && !final) process.stderr.write(`\r${line}`);
        else if (final || Date.now() - lastPrinted > 5000) {
          process.stderr.write(`${tty ? '\r' : ''}${line}\n`);
          lastPrinted = Date.now();
        }
      },
      Object.keys(start).length > 0 ? start : null,
    ).finally(() => readerThread?.close());
    console.log(
      `${projection.name} rebuilt: ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} events/s)`,
    );
  });
}

function deadLetters(args: string[]): Promise<void> {
  const projection = projectionNamed('dead-letters', parse('dead-letters', args, {}, 1).positionals[0]).name;
  return withInfrastructure(async ({ pool }) => {
    const letters = await listDeadLetters(pool, projection);
    const notKept = await listNotKept(pool, projection);
    if (letters.length === 0 && notKept.length === 0)
      console.log(`${projection}: no unresolved dead letters`);
    for (const l of letters) {
      console.log(
        `#${l.id}  ${l.stream} ${l.sequence}  ${l.subject}  ${l.type ?? '-'}  ${l.errorCode}  attempts ${l.attempts}  ${l.createdAt.toISOString()}${l.retryRequested ? '  (retry requested)' : ''}\n    ${l.error}`,
      );
    }
    for (const n of notKept) console.log(`g${n.generation}: ${describeNotKept(n)}`);
  });
}

/** Operator actions from the CLI are executed and recorded like the console's (origin `cli`). */
function operatorAction(command: OperatorCommand): Promise<void> {
  return withInfrastructure(async ({ pool }) => {
    const action = await executeCommand(pool, {
      command,
      origin: { via: 'cli', address: `${userInfo().username}@${hostname()}`.slice(0, 200) },
    });
    console.log(`${command.projection}: ${action.outcome}: ${action.detail}`);
    if (action.outcome === 'refused') process.exitCode = 1;
  });
}

function retryDeadLetters(args: string[]): Promise<void> {
  const projection = projectionNamed(
    'retry-dead-letters',
    parse('retry-dead-letters', args, {}, 1).positionals[0],
  ).name;
  return operatorAction({ action: 'retry_dead_letters', projection });
}

function skipDeadLetter(args: string[]): Promise<void> {
  const [name, id] = parse('skip-dead-letter', args, {}, 2).positionals;
  const projection = projectionNamed('skip-dead-letter', name).name;
  const deadLetterId = Number(id);
  if (!Number.isSafeInteger(deadLetterId) || deadLetterId < 1) {
    throw new UsageError('skip-dead-letter needs a projection name and a dead letter id (see dead-letters)');
  }
  return operatorAction({ action: 'skip_dead_letter', projection, deadLetterId });
}

class UsageError extends Error {}

/** The commands that operate on an installation of the application, by name. */
const OPERATIONS: Readonly<Record<string, (args: string[]) => Promise<void>>> = {
  'publish-demo': publishDemo,
  status: (args) => {
    parse('status', args, {});
    return status();
  },
  rebuild: rebuildCommand,
  'dead-letters': deadLetters,
  'retry-dead-letters': retryDeadLetters,
  'skip-dead-letter': skipDeadLetter,
};

try {
  const [command, ...rest] = takeAppOption(process.argv.slice(2));
  switch (command) {
    case 'start': {
      const { values } = parse('start', rest, { demo: { type: 'boolean' } });
      const spec = process.env.VISTA_APP;
      if (!spec) throw new UsageError('start needs the application: --app PATH (or VISTA_APP)');
      await startInstallation(spec, { demo: values.demo === true });
      break;
    }
    case 'projectors':
      parse('projectors', rest, {});
      await import('./main.ts');
      break;
    case 'api':
      parse('api', rest, {});
      await import('../api/main.ts');
      break;
    case 'check': {
      parse('check', rest, {});
      const spec = process.env.VISTA_APP;
      if (!spec) throw new UsageError('check needs the application: --app PATH (or VISTA_APP)');
      // Loaded here: the API's schema modules (graphql, graphql-yoga) serve no other command.
      const { checkApplication } = await import('./check.ts');
      process.exitCode = (await checkApplication(spec)) ? 0 : 1;
      break;
    }
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      break;
    default: {
      const operate = OPERATIONS[command ?? ''];
      if (!operate) throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
      await prepare();
      await operate(rest);
    }
  }
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(64);
  }
  if (error instanceof RebuildHaltedError) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof ServiceUnreachableError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
  throw error;
}
