/**
 * `vista start --app PATH` (and the repository's `npm start`): the whole system on one machine
 * from the services the environment names. Applies migrations, creates the streams, publishes
 * the application's demo history when asked to (`--demo`) and its streams are empty, then runs the projectors and the
 * API as child processes until Ctrl-C. It says Vista is running only once its own API process
 * reports that it listens: another program on the port is not mistaken for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orExitStreamSettings, streamHeads } from '../shared/clients/jetstream-streams.ts';
import { orExitUnreachable } from '../shared/clients/reach.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import {
  applicationModulePath,
  loadApplicationOrExit,
  openInfrastructure,
  publishMany,
  recordApplication,
} from './engine/internal.ts';

const DEMO_EVENTS = 20_000;
const DEMO_SEED = 1;

/**
 * An application as given on a command line, made independent of the working directory: a
 * path becomes absolute from `from` (the directory the command was run in); a bare name (an
 * example of Vista's repository, `shop`) is kept.
 */
export function applicationFromCaller(spec: string, from = process.cwd()): string {
  if (/^[a-z][a-z0-9_-]*$/.test(spec) || isAbsolute(spec)) return spec;
  return resolve(from, spec);
}

/** A process of Vista's own, run the way this one runs (its loader flags, e.g. tsx's, included). */
function entryPoint(relative: string): string {
  const extension = extname(fileURLToPath(import.meta.url));
  return fileURLToPath(new URL(`${relative}${extension}`, import.meta.url));
}

export async function startInstallation(appSpec: string, options: { demo: boolean }): Promise<void> {
  process.env.VISTA_APP = appSpec;
  const config = loadConfigOrExit();
  const log = createLogger(config.LOG_LEVEL, 'vista-start');
  const app = await loadApplicationOrExit(appSpec);
  const module = applicationModulePath(appSpec);
  // Children get the module's absolute path: they may resolve paths from another directory.
  process.env.VISTA_APP = module;
  const infrastructure = await orExitStreamSettings(
    orExitUnreachable(openInfrastructure(config, app.contract, 'vista-start', log)),
  );
  await recordApplication(infrastructure.pool, { name: app.name, module });
  const heads = await streamHeads(infrastructure.nats.jsm, infrastructure.streams);
  if (options.demo && app.demo && Object.values(heads).every((last) => last === 0)) {
    console.log(
      `[start] ${app.name}: streams are empty: publishing ${DEMO_EVENTS} demo events (seed ${DEMO_SEED})`,
    );
    await publishMany(
      infrastructure.nats.js,
      infrastructure.streams,
      app.demo({ events: DEMO_EVENTS, seed: DEMO_SEED }),
    );
  }
  await infrastructure.close();

  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    Promise.all(
      children.map(
        (c) =>
          new Promise((done) =>
            c.exitCode !== null || c.signalCode !== null ? done(null) : c.once('exit', done),
          ),
      ),
    ).then(() => process.exit(code));
  };
  const run = (name: string, relative: string): ChildProcess => {
    const child = spawn(process.execPath, [...process.execArgv, entryPoint(relative)], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      env: process.env,
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`[start] the ${name} exited (${signal ?? `exit ${code}`}); stopping`);
      // A child that refused its configuration (78) or found a service unreachable (69) says
      // why on its own; the same status is this process's.
      stop(code && code !== 0 ? code : 1);
    });
    children.push(child);
    return child;
  };
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));

  run('projectors', './main');
  const api = run('API', '../api/main');
  api.on('message', (message: { vista?: string }) => {
    if (message?.vista !== 'listening' || stopping) return;
    console.log(
      `\n[start] Vista is running ${app.name}. GraphQL: http://localhost:${config.PORT}/graphql  Console: http://localhost:${config.PORT}/console  (Ctrl-C stops the projectors and the API)\n`,
    );
  });
}
