/**
 * The reader thread: the stream readers of a projector process (ordered-source.ts, unchanged)
 * on a thread of their own with their own NATS connection, handing their messages to the main
 * thread packed (packing.ts). The main thread then never runs the NATS client: parsing the
 * protocol, the message objects and their headers were a fifth of its CPU per event in a
 * catch-up (bench/README.md, "Reading on a thread of its own"). See client.ts for the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectNats } from '../../../../shared/clients/nats.ts';
import { PullBudget } from '../../../../shared/clients/pull-budget.ts';
import { createLogger } from '../../../../shared/log.ts';
import { readOrderedAt } from '../ordered-source.ts';
import { crossing, MessagePacker } from './packing.ts';
import type { FromReader, ReaderThreadOptions, ReadWindow, ToReader } from './protocol.ts';

/** A packed handover holds at most this many messages: the main thread builds them in one go. */
const PACK_MOST = 500;

const port = parentPort;
if (!port) throw new Error('reader-thread/worker.ts runs as a worker thread');
const options = workerData as ReaderThreadOptions;
const log = createLogger(options.logLevel, 'vista-reader-thread');
const connecting = connectNats(options.natsUrl, 'vista-reader-thread', log);
// A connection that cannot be had fails every reader; the thread ends, and the main thread
// starts another at its next read (the projections retry their sources with backoff).
connecting.catch(() => setImmediate(() => process.exit(1)));
const budget = connecting.then((nats) => {
  const pull = new PullBudget(
    options.pullBudgetBytes,
    () => nats.connection.info?.max_payload ?? 1024 * 1024,
    log,
  );
  void pull.watch(nats.connection);
  return pull;
});
// Its failure is the connection's, which every reader meets first.
budget.catch(() => undefined);

interface Reader {
  readonly stop: AbortController;
  /** Settles once the reader stopped and asked the server to delete its consumer. */
  done?: Promise<void>;
  /** Messages and bytes handed over and not yet credited back. */
  outstanding: { items: number; bytes: number };
  /** Wakes the reader waiting for credit. */
  wake?: () => void;
}

const readers = new Map<number, Reader>();
const send = (message: FromReader, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (message: ToReader) => {
  switch (message.kind) {
    case 'open':
      read(message.id, message);
      break;
    case 'credit': {
      const reader = readers.get(message.id);
      if (!reader) break;
      reader.outstanding.items -= message.items;
      reader.outstanding.bytes -= message.bytes;
      reader.wake?.();
      break;
    }
    case 'close': {
      const reader = readers.get(message.id);
      reader?.stop.abort();
      reader?.wake?.();
      if (!reader) send({ kind: 'closed', id: message.id });
      break;
    }
    case 'shutdown': {
      // Each reader deletes its consumer as it stops: the connection drains after they did.
      const stopping = [...readers.values()].map((reader) => {
        reader.stop.abort();
        reader.wake?.();
        return reader.done;
      });
      void Promise.allSettled(stopping)
        .then(() => connecting)
        .then((nats) => nats.close())
        .finally(() => port.close());
      break;
    }
  }
});

function read(id: number, open: Extract<ToReader, { kind: 'open' }>): void {
  const reader: Reader = { stop: new AbortController(), outstanding: { items: 0, bytes: 0 } };
  readers.set(id, reader);
  reader.done = readInto(id, reader, open);
}

async function readInto(
  id: number,
  reader: Reader,
  { address, afterSequence, window }: Extract<ToReader, { kind: 'open' }>,
): Promise<void> {
  const packer = new MessagePacker(address.stream);
  const handOver = () => {
    if (packer.count === 0 || reader.stop.signal.aborted) return;
    reader.outstanding.items += packer.count;
    reader.outstanding.bytes += packer.bytes;
    const { packed, transfer } = packer.pack();
    send({ kind: 'messages', id, packed }, transfer);
  };
  try {
    const nats = await connecting;
    for await (const messages of readOrderedAt(nats, address, afterSequence, reader.stop.signal, {
      budget: await budget,
      log,
    })) {
      // What arrived together goes together; a backlog goes in full packs, within the window.
      for (const message of messages) {
        packer.add(message);
        if (packer.count >= PACK_MOST) handOver();
        if (beyond(reader, packer, window)) {
          handOver();
          await creditFor(reader, window);
          if (reader.stop.signal.aborted) break;
        }
      }
      handOver();
    }
  } catch (error) {
    // Whatever came before the failure was handed over with its run.
    if (!reader.stop.signal.aborted) send({ kind: 'failed', id, error: crossing(error) });
  } finally {
    readers.delete(id);
    send({ kind: 'closed', id });
  }
}

/** Whether what was handed over and not credited back, with what is packed, fills `window`. */
function beyond(reader: Reader, packer: MessagePacker, window: ReadWindow): boolean {
  return (
    reader.outstanding.items + packer.count >= window.items ||
    reader.outstanding.bytes + packer.bytes >= window.bytes
  );
}

/** Waits until the main thread has taken enough to be within `window` again, or the reader stops. */
async function creditFor(reader: Reader, window: ReadWindow): Promise<void> {
  while (
    !reader.stop.signal.aborted &&
    (reader.outstanding.items >= window.items || reader.outstanding.bytes >= window.bytes)
  ) {
    await new Promise<void>((resolve) => {
      reader.wake = resolve;
    });
    reader.wake = undefined;
  }
}
