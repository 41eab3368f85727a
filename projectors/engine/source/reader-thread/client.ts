import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../../shared/log.ts';
import { type RawMessage, type StreamAddress, StreamGapError } from '../ordered-source.ts';
import { type CrossingError, type PackedMessages, unpack } from './packing.ts';
import type { FromReader, ReaderThreadOptions, ReadWindow, ToReader } from './protocol.ts';

/** How long closing a reader waits for the thread to say its consumer is gone. */
const CLOSE_WAIT_MS = 5000;

/** A reader of the thread as the main thread keeps it. */
interface ThreadReader {
  /** The thread it reads on: when that one ends, this reader fails. */
  readonly worker: Worker;
  readonly packs: PackedMessages[];
  failure?: Error;
  /** Resolved when the thread says the reader stopped (or the thread is gone). */
  readonly closed: Promise<void>;
  readonly markClosed: () => void;
  /** Wakes the generator waiting for messages. */
  wake?: () => void;
}

/**
 * The main thread's side of the reader thread (worker.ts): a projector process's stream readers
 * run there, and `read` gives what each reads here, in packs of messages, with the semantics of
 * `readOrdered` (the same messages in the same order; a gap, a stall or a lost connection is
 * handled there the same way; a failure is thrown here after the messages before it). The
 * thread is started at the first read and again after it ended (a crash, a connection it could
 * not make): its readers fail with SOURCE_FAILED, which the projections retry.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  private readonly readers = new Map<number, ThreadReader>();
  private nextId = 1;

  constructor(
    private readonly options: ReaderThreadOptions,
    private readonly log: Logger,
  ) {}

  /** Messages the thread handed over that no reader here has yielded yet. */
  get queued(): number {
    let count = 0;
    for (const reader of this.readers.values())
      for (const pack of reader.packs) count += pack.sequences.length;
    return count;
  }

  /**
   * Reads `address` in order after `afterSequence` until `signal` aborts or the caller stops
   * iterating; each pack taken is credited back to the thread when the next is asked for, so
   * the thread runs at most `window` ahead of the caller.
   */
  async *read(
    address: StreamAddress,
    afterSequence: number,
    signal: AbortSignal,
    window: ReadWindow,
  ): AsyncGenerator<RawMessage[]> {
    const id = this.nextId++;
    let markClosed = () => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    const worker = this.started();
    const reader: ThreadReader = { worker, packs: [], closed, markClosed };
    this.readers.set(id, reader);
    this.post(worker, { kind: 'open', id, address, afterSequence, window });
    const wake = () => reader.wake?.();
    signal.addEventListener('abort', wake);
    try {
      while (!signal.aborted) {
        const pack = reader.packs.shift();
        if (pack) {
          yield unpack(pack);
          this.post(worker, {
            kind: 'credit',
            id,
            items: pack.sequences.length,
            bytes: pack.bytes.byteLength,
          });
          continue;
        }
        if (reader.failure) throw reader.failure;
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
        });
        reader.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', wake);
      this.post(worker, { kind: 'close', id });
      // The next reader of this source (a restart from the checkpoint) starts its consumer once
      // this one's is gone, as on the main thread.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        reader.closed,
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      this.readers.delete(id);
    }
  }

  /** Stops the thread: its readers stop, its connection closes. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.post(worker, { kind: 'shutdown' });
    // Reads from now on start a new thread.
    this.worker = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    await worker.terminate();
  }

  private post(worker: Worker, message: ToReader): void {
    // A thread that ended takes no more messages; its readers have failed already.
    if (worker === this.worker) worker.postMessage(message);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = spawn(this.options);
    this.worker = worker;
    this.log.info('stream readers start on a thread of their own');
    // The process does not stay up for the thread: the projections close their readers first.
    worker.unref();
    worker.on('message', (message: FromReader) => this.receive(message));
    worker.on('error', (error) => this.log.error({ err: error }, 'stream reader thread failed'));
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const failure = Object.assign(new Error(`the stream reader thread ended (exit code ${code})`), {
        code: 'SOURCE_FAILED',
      });
      for (const reader of this.readers.values()) {
        if (reader.worker !== worker) continue;
        reader.failure ??= failure;
        reader.markClosed();
        reader.wake?.();
      }
    });
    return worker;
  }

  private receive(message: FromReader): void {
    const reader = this.readers.get(message.id);
    if (!reader) return;
    if (message.kind === 'messages') reader.packs.push(message.packed);
    else if (message.kind === 'failed') reader.failure = revived(message.error);
    else reader.markClosed();
    reader.wake?.();
  }
}

/** The error a reader failed with, as the runner tells errors apart (a gap halts; codes say transient). */
function revived(error: CrossingError): Error {
  const revived = error.code === 'STREAM_GAP' ? new StreamGapError(error.message) : new Error(error.message);
  revived.name = error.name;
  const fields: Record<string, unknown> = {};
  for (const key of ['code', 'status', 'statusCode'] as const)
    if (error[key] !== undefined) fields[key] = error[key];
  return Object.assign(revived, fields);
}

/**
 * Starts worker.ts on a thread. Run from TypeScript sources (tsx, vitest), the thread needs tsx's
 * loader registered in it first: Node 20 does not pass the main thread's loader on to workers.
 */
function spawn(options: ReaderThreadOptions): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData: options, name: 'vista-reader-thread' });
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true, workerData: options, name: 'vista-reader-thread' },
  );
}
