export interface BatchLimits {
  /** Largest batch, in items; a full batch is handed over at once. */
  readonly maxSize: number;
  /**
   * Largest batch, in bytes of its items (a batch holds at least one item, whatever its size);
   * a batch that reaches it is handed over at once too.
   */
  readonly maxBytes: number;
  /**
   * A partial batch is handed over once no item arrived for this long (live tail latency),
   * unless the items say sooner that nothing more is on its way (see `Batcher`'s `drained`).
   */
  readonly idleMs: number;
  /** …and at the latest this long after its first item, however steady the trickle. */
  readonly maxWaitMs: number;
  /**
   * A partial batch waits at least this long after its first item, even when nothing more is
   * on its way (0 when absent): fewer, larger commits at the live tail, each event later by up
   * to this long. `maxWaitMs` still bounds it.
   */
  readonly lingerMs?: number;
}

/** How much a Batcher holds at most before `push` waits: in items and in bytes. */
export interface BatcherCapacity {
  readonly items: number;
  /** An item larger than this still gets in, alone: the queue must hold one to pass it on. */
  readonly bytes: number;
}

/**
 * The most a batch is stretched, in items, for a projection that passes over most of what it
 * reads (see `Batcher.noteUsed`): bytes still bound it, and its queue grows with it.
 */
export const MAX_STRETCH = 4;

export class SourceFailedError extends Error {
  readonly code = 'SOURCE_FAILED';
}

/**
 * A bounded queue between the stream readers (many producers) and the projection loop (one
 * consumer) that cuts the flow into batches. `push` waits while the queue is full, in items or
 * in bytes, so a slow store slows the readers instead of growing memory: a stream of events of
 * a megabyte each fills it by bytes long before it does by count.
 *
 * ```ts
 * const batcher = new Batcher<RawMessage>({ items: 8000, bytes: 16 << 20 }, limits, (m) => m.payload.byteLength);
 * if (!batcher.offer(message)) await batcher.push(message, signal); // in each reader
 * const batch = await batcher.nextBatch(signal); // in the projection loop
 * ```
 */
export class Batcher<T> {
  private items: T[] = [];
  /** Bytes of the queued items. */
  private bytes = 0;
  /** When the oldest queued item arrived (performance.now()), or the take that left it queued. */
  private firstAt = 0;
  /** When the newest queued item arrived. */
  private lastAt = 0;
  private failure: Error | undefined;
  /**
   * Set while the consumer waits: for any item (the queue is empty), or only for a full batch
   * (a partial one waits out its time on a timer, not woken by each item of a trickle).
   */
  private wakeConsumer: { readonly forAny: boolean; readonly wake: () => void } | undefined;
  private wakeProducers: (() => void)[] = [];
  /** Items per batch and in the queue: the limits' and the capacity's, times the stretch. */
  private maxSize: number;
  private capacityItems: number;
  /** Items taken and items the consumer used of them, each halved at every note (a decaying share). */
  private taken = 0;
  private used = 0;

  /**
   * `drained`, when given, says after an item was added whether its producers know that no
   * more items are on their way (a stream reader whose newest message is the stream's last):
   * then a partial batch is handed over at once instead of after `idleMs`.
   */
  constructor(
    private readonly capacity: BatcherCapacity,
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
    private readonly drained?: () => boolean,
  ) {
    this.maxSize = limits.maxSize;
    this.capacityItems = capacity.items;
  }

  get size(): number {
    return this.items.length;
  }

  /** Bytes queued. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Whether the queue holds a full batch: the projection loop need not wait for more. */
  get holdsFullBatch(): boolean {
    return this.size >= this.maxSize || this.bytes >= this.limits.maxBytes;
  }

  /** The most items a batch holds now: `maxSize`, stretched by what the consumer passes over. */
  get batchSize(): number {
    return this.maxSize;
  }

  private get full(): boolean {
    return this.size > 0 && (this.size >= this.capacityItems || this.bytes >= this.capacity.bytes);
  }

  /**
   * Says how many of a batch's `items` the consumer used (a projection's events of the types it
   * handles): `maxSize` counts those, so a batch of a projection that passes over a share of its
   * streams holds more items, up to MAX_STRETCH times `maxSize`, and its queue as many batches
   * as before. Each batch costs a commit and rewrites every document it touches, whatever share
   * of it was used; bytes (`maxBytes`, the capacity's) bound it as before. The share decays, so
   * a change in the streams' mix is followed within a few batches.
   */
  noteUsed(items: number, used: number): void {
    this.taken = this.taken / 2 + items;
    this.used = this.used / 2 + used;
    const share = this.taken > 0 ? this.used / this.taken : 1;
    const stretch = Math.min(MAX_STRETCH, 1 / Math.max(share, 1 / MAX_STRETCH));
    this.maxSize = Math.max(1, Math.round(this.limits.maxSize * stretch));
    this.capacityItems = Math.max(1, Math.round(this.capacity.items * stretch));
  }

  /**
   * Queues `item` if there is room, and says whether it did. A reader offers first and awaits
   * `push` only when the queue is full: most messages then cost no promise on their way in.
   */
  offer(item: T): boolean {
    if (this.full) return false;
    this.add(item);
    return true;
  }

  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (this.full && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.wakeProducers.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    if (signal?.aborted) return;
    this.add(item);
  }

  private add(item: T): void {
    const now = performance.now();
    if (this.items.length === 0) this.firstAt = now;
    this.lastAt = now;
    this.items.push(item);
    this.bytes += this.sizeOf(item);
    if (this.wakeConsumer && (this.wakeConsumer.forAny || this.holdsFullBatch || this.drained?.()))
      this.wakeConsumer.wake();
  }

  /** Makes the next `nextBatch` throw: a reader died and the projection must restart its sources. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wakeConsumer?.wake();
  }

  /**
   * Resolves with the next batch: at least one item, at most `batchSize` items and (unless its
   * one item is larger) `maxBytes` bytes; resolves with `[]` only when `signal` aborts.
   * A partial batch is handed over once it is `lingerMs` old and either its producers say
   * they are drained or `idleMs` passed since its newest item, or once it is `maxWaitMs` old.
   * The times count from arrival, not from this call: items that queued while the consumer was
   * committing the previous batch have been waiting all along (group commit), and are not held
   * for another linger.
   */
  async nextBatch(signal: AbortSignal): Promise<T[]> {
    const { idleMs, maxWaitMs, lingerMs = 0 } = this.limits;
    while (!signal.aborted) {
      this.throwIfFailed();
      if (this.holdsFullBatch) return this.take();
      if (this.size > 0) {
        const now = performance.now();
        const quiet = this.drained?.() ? now : this.lastAt + idleMs;
        const wait = Math.min(this.firstAt + maxWaitMs, Math.max(this.firstAt + lingerMs, quiet)) - now;
        if (wait <= 0) return this.take();
        await this.waitForItem(signal, false, wait);
      } else {
        await this.waitForItem(signal, true, undefined);
      }
    }
    return [];
  }

  private throwIfFailed(): void {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /**
   * Resolves when an item arrives (`forAny`) or the queue holds a full batch, when a failure
   * arrives, or on timeout or abort.
   */
  private waitForItem(signal: AbortSignal, forAny: boolean, timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeConsumer = undefined;
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeConsumer = { forAny, wake: done };
    });
  }

  private take(): T[] {
    let count = 0;
    let bytes = 0;
    const most = Math.min(this.items.length, this.maxSize);
    while (count < most) {
      const size = this.sizeOf(this.items[count] as T);
      // The first item goes whatever its size; the next ones while they fit.
      if (count > 0 && bytes + size > this.limits.maxBytes) break;
      bytes += size;
      count++;
    }
    // Taken items leave the queue's array at once: a megabyte event must not stay reachable
    // from here after its batch is written.
    const batch = this.items.splice(0, count);
    this.bytes -= bytes;
    // Those left behind arrived before now: their wait counts from here (only a backlog, which
    // fills whole batches anyway, leaves any).
    if (this.items.length > 0) this.firstAt = performance.now();
    const waiting = this.wakeProducers;
    this.wakeProducers = [];
    for (const wake of waiting) wake();
    return batch;
  }

  /** Drops everything queued (the sources are being restarted from the checkpoint). */
  clear(): void {
    this.items = [];
    this.bytes = 0;
    this.failure = undefined;
    const waiting = this.wakeProducers;
    this.wakeProducers = [];
    for (const wake of waiting) wake();
  }
}
