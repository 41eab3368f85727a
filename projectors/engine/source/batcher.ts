export interface BatchLimits {
  /** Largest batch, in items; a full batch is handed over at once. */
  readonly maxSize: number;
  /**
   * Largest batch, in bytes of its items (a batch holds at least one item, whatever its size);
   * a batch that reaches it is handed over at once too.
   */
  readonly maxBytes: number;
  /** A partial batch is handed over once no item arrived for this long (live tail latency). */
  readonly idleMs: number;
  /** …and at the latest this long after its first item, however steady the trickle. */
  readonly maxWaitMs: number;
}

/** How much a Batcher holds at most before `push` waits: in items and in bytes. */
export interface BatcherCapacity {
  readonly items: number;
  /** An item larger than this still gets in, alone: the queue must hold one to pass it on. */
  readonly bytes: number;
}

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
  private failure: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducers: (() => void)[] = [];

  constructor(
    private readonly capacity: BatcherCapacity,
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Bytes queued. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Whether the queue holds a full batch: the projection loop need not wait for more. */
  get holdsFullBatch(): boolean {
    return this.size >= this.limits.maxSize || this.bytes >= this.limits.maxBytes;
  }

  private get full(): boolean {
    return this.size > 0 && (this.size >= this.capacity.items || this.bytes >= this.capacity.bytes);
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
    this.items.push(item);
    this.bytes += this.sizeOf(item);
    this.wakeConsumer?.();
  }

  /** Makes the next `nextBatch` throw: a reader died and the projection must restart its sources. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wakeConsumer?.();
  }

  /**
   * Resolves with the next batch: at least one item, at most `maxSize` items and (unless its
   * one item is larger) `maxBytes` bytes; resolves with `[]` only when `signal` aborts.
   */
  async nextBatch(signal: AbortSignal): Promise<T[]> {
    const started = { at: 0 };
    while (!signal.aborted) {
      this.throwIfFailed();
      if (this.holdsFullBatch) return this.take();
      if (this.size > 0) {
        if (started.at === 0) started.at = Date.now();
        const remaining = this.limits.maxWaitMs - (Date.now() - started.at);
        if (remaining <= 0) return this.take();
        const grew = await this.waitForItem(signal, Math.min(this.limits.idleMs, remaining));
        if (!grew) return this.take();
      } else {
        await this.waitForItem(signal, undefined);
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

  /** Resolves true when an item (or a failure) arrives, false on timeout or abort. */
  private waitForItem(signal: AbortSignal, timeoutMs: number | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (grew: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wakeConsumer = undefined;
        resolve(grew);
      };
      const onAbort = () => done(false);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(false), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wakeConsumer = () => done(true);
    });
  }

  private take(): T[] {
    let count = 0;
    let bytes = 0;
    const most = Math.min(this.items.length, this.limits.maxSize);
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
