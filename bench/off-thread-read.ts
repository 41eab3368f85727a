/**
 * What reading the streams off the main thread would save it (issue 23: the main thread is the
 * limit, the second core waits). Reads ORDERS and PAYMENTS from sequence 1 to their heads and
 * decodes each payload to JSON, either all on the main thread with the engine's reader, or with
 * the readers on the engine's reader thread (READER_THREAD), which hands packed messages over.
 * Prints, per way and repetition, events/s, the main thread's CPU per event and the whole
 * process's (every thread). Usage: npx tsx bench/off-thread-read.ts [events=100000] [repetitions=3]
 */
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import {
  addressOf,
  isolatedInstallation,
  publishMany,
  type ReaderThread,
  readerThreadFor,
  readOrdered,
} from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { loadAverage, mainThreadSeconds } from './support/cpu.ts';

const events = Number(process.argv[2] ?? 100_000);
const repetitions = Number(process.argv[3] ?? 3);
const STREAMS = ['ORDERS', 'PAYMENTS'];

const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop' });
const { nats, streams, pullBudget } = env.infrastructure;
await publishMany(nats.js, streams, demoHistory({ events, seed: 42 }));
const allHeads = await streamHeads(nats.jsm, streams);
const heads = Object.fromEntries(STREAMS.map((s) => [s, allHeads[s] ?? 0]));
const total = Object.values(heads).reduce((a, b) => a + b, 0);
const decoder = new TextDecoder();
let checksum = 0;
const decode = (payload: Uint8Array) => {
  checksum += (JSON.parse(decoder.decode(payload)) as { id?: string }).id?.length ?? 0;
};

async function onMain(): Promise<void> {
  await Promise.all(
    STREAMS.map(async (stream) => {
      const stop = new AbortController();
      for await (const messages of readOrdered(nats, streams, { stream }, 0, stop.signal, {
        budget: pullBudget,
      })) {
        for (const m of messages) {
          decode(m.payload);
          if (m.sequence >= (heads[stream] ?? 0)) stop.abort();
        }
      }
    }),
  );
}

/**
 * Starts the engine's reader thread (READER_THREAD) and reads a message through it, so that the
 * thread is up and connected; resolves with the run that reads through it.
 */
async function offThread(): Promise<() => Promise<void>> {
  const thread = readerThreadFor({ ...env.config, READER_THREAD: true }, env.log) as ReaderThread;
  const window = { items: 4000, bytes: 16 * 1024 * 1024 };
  const warm = new AbortController();
  for await (const _ of thread.read(addressOf(streams, { stream: 'ORDERS' }), 0, warm.signal, window)) break;
  return async () => {
    await Promise.all(
      STREAMS.map(async (stream) => {
        const stop = new AbortController();
        const address = addressOf(streams, { stream });
        for await (const pack of thread.read(address, 0, stop.signal, window)) {
          for (const m of pack) decode(m.payload);
          if ((pack.at(-1)?.sequence ?? 0) >= (heads[stream] ?? 0)) break;
        }
      }),
    );
    await thread.close();
  };
}

console.log(`${total.toLocaleString('en')} events of ORDERS and PAYMENTS, load ${loadAverage()} before\n`);
console.log('| way | events/s | main thread CPU µs per event | process CPU µs per event (all threads) |');
console.log('|---|---|---|---|');
for (let rep = 0; rep < repetitions; rep++) {
  for (const [name, setUp] of [
    ['main thread reads', async () => onMain],
    ['worker reads, main decodes', offThread],
  ] as const) {
    const run = await setUp();
    const main0 = mainThreadSeconds();
    const all0 = process.cpuUsage();
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    const all = process.cpuUsage(all0);
    const perEvent = (cpuSeconds: number) => ((cpuSeconds / total) * 1e6).toFixed(1);
    console.log(
      `| ${name} | ${Math.round(total / seconds).toLocaleString('en')} | ${perEvent(mainThreadSeconds() - main0)} | ${perEvent((all.user + all.system) / 1e6)} |`,
    );
  }
}
console.log(`\nload ${loadAverage()} after (checksum ${checksum})`);
await env.cleanup();
