export interface BatchLimits {
  /** Largest batch; a full batch is handed over at once. */
  readonly maxSize: number;
  /** A partial batch is handed over once no item arrived for this long (live tail latency). */
  readonly idleMs: number;
  /** …and at the latest this long after its first item, however steady the trickle. */
  readonly maxWaitMs: number;
}

export class SourceFailedError extends Error {
  readonly code = 'SOURCE_FAILED';
}

/**
 * A bounded queue between the stream readers (many producers) and the projection loop (one
 * consumer) that cuts the flow into batches. `push` waits while the queue is full, so a slow
 * sink slows the readers instead of growing memory.
 */
export class Batcher<T> {
  private items: T[] = [];
  private head = 0;
  private failure: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducers: (() => void)[] = [];

  constructor(
    private readonly capacity: number,
    private readonly limits: BatchLimits,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (this.size >= this.capacity && !signal?.aborted) {
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
    this.items.push(item);
    this.wakeConsumer?.();
  }

  /** Makes the next `nextBatch` throw: a reader died and the projection must restart its sources. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wakeConsumer?.();
  }

  /**
   * Resolves with the next batch: at least one item, at most `maxSize`; resolves with `[]`
   * only when `signal` aborts.
   */
  async nextBatch(signal: AbortSignal): Promise<T[]> {
    const started = { at: 0 };
    while (!signal.aborted) {
      this.throwIfFailed();
      if (this.size >= this.limits.maxSize) return this.take();
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
    const end = Math.min(this.items.length, this.head + this.limits.maxSize);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    // Compact now and then instead of shifting per item.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const waiting = this.wakeProducers;
    this.wakeProducers = [];
    for (const wake of waiting) wake();
    return batch;
  }

  /** Drops everything queued (the sources are being restarted from the checkpoint). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.failure = undefined;
    const waiting = this.wakeProducers;
    this.wakeProducers = [];
    for (const wake of waiting) wake();
  }
}
