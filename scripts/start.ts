/**
 * `npm start`: the whole system on one machine. Services are up already (package.json runs
 * scripts/services.sh first); this applies migrations, creates the streams, publishes demo data
 * when the streams are empty, then runs the projectors and the API as child processes until
 * Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadApplicationOrExit, openInfrastructure, publishMany } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';

const DEMO_EVENTS = 20_000;
const DEMO_SEED = 1;

// `npm start -- ledger` (or a path to an application module) is VISTA_APP for this run and
// for the projector and API processes it starts.
if (process.argv[2]) process.env.VISTA_APP = process.argv[2];
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'vista-start');
const app = await loadApplicationOrExit(config.VISTA_APP);
const infrastructure = await openInfrastructure(config, app.contract, 'vista-start', log);
const heads = await streamHeads(infrastructure.nats.jsm, infrastructure.streams);
if (app.demo && Object.values(heads).every((last) => last === 0)) {
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
function run(entry: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env: process.env });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${entry} exited (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  Promise.all(
    children.map(
      (c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))),
    ),
  ).then(() => process.exit(code));
}
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));

run('projectors/main.ts');
run('api/main.ts');

const url = `http://localhost:${config.PORT}/graphql`;
for (let attempt = 0; attempt < 100 && !stopping; attempt++) {
  const ready = await fetch(`http://127.0.0.1:${config.PORT}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ready) {
    console.log(
      `\n[start] Vista is running. GraphQL: ${url}  Console: http://localhost:${config.PORT}/console  (Ctrl-C stops the projectors and the API)\n`,
    );
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
