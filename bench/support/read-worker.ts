/**
 * The reading half of bench/off-thread-read.ts, on a worker thread: reads the given streams
 * from sequence 1 to their heads with the engine's reader and hands the messages to the main
 * thread in packed batches (payload bytes in one transferred buffer, sequences and offsets in
 * typed arrays), so the main thread never runs the NATS client. Says 'ready' once connected and
 * reads when told to; says 'done' at the heads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import shopApp from '../../examples/shop/index.ts';
import { readOrdered } from '../../projectors/engine/internal.ts';
import { connectNats } from '../../shared/clients/nats.ts';
import { PullBudget } from '../../shared/clients/pull-budget.ts';
import { streamsFor } from '../../shared/events/streams.ts';
import { createLogger } from '../../shared/log.ts';

export interface PackedBatch {
  readonly stream: string;
  readonly sequences: Float64Array;
  /** Message i's payload is bytes[offsets[i], offsets[i + 1]). */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
  readonly subjects: string[];
}

const { natsUrl, namespace, heads, batch, budgetBytes } = workerData as {
  natsUrl: string;
  /** The installation's PULL_BUDGET_BYTES: the same budget as the reader on the main thread. */
  budgetBytes: number;
  namespace: string;
  heads: Record<string, number>;
  batch: number;
};
const port = parentPort;
if (!port) throw new Error('read-worker runs as a worker thread');
const log = createLogger('warn', 'read-worker');
const nats = await connectNats(natsUrl, 'read-worker', log);
const streams = streamsFor(shopApp.contract, namespace);
const budget = new PullBudget(budgetBytes, () => nats.connection.info?.max_payload ?? 1024 * 1024);
// Started and connected: the reading is timed from the main thread's go.
port.postMessage('ready');
await new Promise((resolve) => port.once('message', resolve));

await Promise.all(
  Object.entries(heads).map(async ([stream, head]) => {
    const stop = new AbortController();
    let pending: { sequence: number; subject: string; payload: Uint8Array }[] = [];
    const flush = () => {
      let size = 0;
      for (const m of pending) size += m.payload.byteLength;
      const bytes = new Uint8Array(size);
      const offsets = new Uint32Array(pending.length + 1);
      const sequences = new Float64Array(pending.length);
      let at = 0;
      pending.forEach((m, i) => {
        bytes.set(m.payload, at);
        offsets[i] = at;
        sequences[i] = m.sequence;
        at += m.payload.byteLength;
      });
      offsets[pending.length] = at;
      const packed: PackedBatch = {
        stream,
        sequences,
        offsets,
        bytes,
        subjects: pending.map((m) => m.subject),
      };
      port.postMessage(packed, [bytes.buffer, offsets.buffer, sequences.buffer]);
      pending = [];
    };
    for await (const m of readOrdered(nats.js, streams, { stream }, 0, stop.signal, { budget })) {
      pending.push({ sequence: m.sequence, subject: m.subject, payload: m.payload });
      if (m.sequence >= head) stop.abort();
      if (pending.length >= batch || m.sequence >= head) flush();
    }
  }),
);
port.postMessage('done');
await nats.connection.close();
