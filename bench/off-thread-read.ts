/**
 * What reading the streams off the main thread would save it (issue 23: the main thread is the
 * limit, the second core waits). Reads ORDERS and PAYMENTS from sequence 1 to their heads and
 * decodes each payload to JSON, either all on the main thread with the engine's reader, or with
 * the reader on a worker thread that hands packed batches over (bench/support/read-worker.ts).
 * Prints, per way and repetition, events/s, the main thread's CPU per event and the whole
 * process's (every thread). Usage: npx tsx bench/off-thread-read.ts [events=100000] [repetitions=3]
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import { isolatedInstallation, publishMany, readOrdered } from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { loadAverage } from './support/cpu.ts';
import type { PackedBatch } from './support/read-worker.ts';

const events = Number(process.argv[2] ?? 100_000);
const repetitions = Number(process.argv[3] ?? 3);
const STREAMS = ['ORDERS', 'PAYMENTS'];

/** CPU-seconds of this process's main thread alone (its task has the process's id). */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

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
      for await (const m of readOrdered(nats.js, streams, { stream }, 0, stop.signal, {
        budget: pullBudget,
      })) {
        decode(m.payload);
        if (m.sequence >= (heads[stream] ?? 0)) stop.abort();
      }
    }),
  );
}

/** Starts the reading worker; resolves, once it is connected, with the run that reads through it. */
async function offThread(): Promise<() => Promise<void>> {
  // Node 20 does not pass the main thread's tsx loader on to workers: the worker registers it.
  const script = new URL('./support/read-worker.ts', import.meta.url).href;
  const worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`,
    {
      eval: true,
      workerData: {
        natsUrl: env.config.NATS_URL,
        namespace: env.config.VISTA_NAMESPACE,
        budgetBytes: env.config.PULL_BUDGET_BYTES,
        heads,
        batch: 1000,
      },
    },
  );
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return () =>
    new Promise((resolve, reject) => {
      worker.on('message', (message: PackedBatch | 'done') => {
        if (message === 'done') return void worker.terminate().then(() => resolve());
        const { offsets, bytes } = message;
        for (let i = 0; i + 1 < offsets.length; i++) decode(bytes.subarray(offsets[i], offsets[i + 1]));
      });
      worker.on('error', reject);
      worker.postMessage('go');
    });
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
    const main0 = mainThreadCpu();
    const all0 = process.cpuUsage();
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    const all = process.cpuUsage(all0);
    const perEvent = (cpuSeconds: number) => ((cpuSeconds / total) * 1e6).toFixed(1);
    console.log(
      `| ${name} | ${Math.round(total / seconds).toLocaleString('en')} | ${perEvent(mainThreadCpu() - main0)} | ${perEvent((all.user + all.system) / 1e6)} |`,
    );
  }
}
console.log(`\nload ${loadAverage()} after (checksum ${checksum})`);
await env.cleanup();
