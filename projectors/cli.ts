import { parseArgs } from 'node:util';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { demoHistory } from './demo/history.ts';
import { publishMany } from './demo/publish-many.ts';
import { openInfrastructure } from './infrastructure.ts';
import { readStatus } from './status.ts';

const USAGE = `Usage: npm run vista -- <command>

Commands:
  publish-demo --events N [--seed S]   publish a seeded-random demo history through the event contract
  status                               state, positions and lag of every projection
`;

const [command, ...rest] = process.argv.slice(2);
const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 'vista-cli');

async function publishDemo(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { events: { type: 'string' }, seed: { type: 'string' } } });
  const events = Number(values.events ?? 10_000);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(events) || events < 1) throw new UsageError('--events must be a positive integer');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const infrastructure = await openInfrastructure(config, 'vista-cli', log);
  try {
    const started = performance.now();
    const report = await publishMany(
      infrastructure.nats.js,
      infrastructure.streams,
      demoHistory({ events, seed }),
      {
        onProgress: (n) => process.stderr.write(`\r  published ${n}/${events}`),
      },
    );
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write('\n');
    console.log(
      `published ${report.published} events (seed ${seed}) in ${seconds.toFixed(1)} s, ${Math.round(report.published / seconds)} events/s`,
    );
    const heads = await streamHeads(infrastructure.nats.jsm, infrastructure.streams);
    for (const [stream, last] of Object.entries(heads))
      console.log(`  ${stream.padEnd(9)} last sequence ${last}`);
  } finally {
    await infrastructure.close();
  }
}

async function status(): Promise<void> {
  const infrastructure = await openInfrastructure(config, 'vista-cli', log);
  try {
    const rows = await readStatus(infrastructure.pool, infrastructure.nats.jsm, infrastructure.streams);
    if (rows.length === 0) console.log('no projections have run yet');
    for (const row of rows) {
      console.log(
        `${row.name}  v${row.version} g${row.generation}  ${row.status}${row.detail ? ` (${row.detail})` : ''}  dead letters ${row.deadLetters}`,
      );
      for (const s of row.streams)
        console.log(`  ${s.stream.padEnd(9)} position ${s.position}  lag ${s.lag}`);
    }
  } finally {
    await infrastructure.close();
  }
}

class UsageError extends Error {}

try {
  switch (command) {
    case 'publish-demo':
      await publishDemo(rest);
      break;
    case 'status':
      await status();
      break;
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(64);
  }
  throw error;
}
