/**
 * Resolves once the event loop has run the callbacks that were pending (I/O, `process.nextTick`):
 * awaited between two pieces of synchronous work, it lets what the first started (a pooled
 * connection handed over, statements sent) go ahead before the second holds the thread.
 * Awaiting a promise alone does not: its continuation runs before any of them.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Long synchronous work cut into slices: `due()` says whether `sliceMs` have passed since the
 * work started or last gave the event loop a turn, and `pause()` gives it one. A projection
 * prepares its next batch while the previous one commits, and that commit goes ahead only when
 * the thread takes its answers (PostgreSQL's, then Elasticsearch's): a batch decoded in one
 * block (about 12 ms for `products`' 2,300 messages, collections aside) held each answer back
 * until it ended.
 */
export class TimeSlices {
  private since = performance.now();

  constructor(private readonly sliceMs: number) {}

  due(): boolean {
    return performance.now() - this.since >= this.sliceMs;
  }

  async pause(): Promise<void> {
    await nextTurn();
    this.since = performance.now();
  }
}
