/**
 * Resolves once the event loop has run the callbacks that were pending (I/O, `process.nextTick`):
 * awaited between two pieces of synchronous work, it lets what the first started (a pooled
 * connection handed over, statements sent) go ahead before the second holds the thread.
 * Awaiting a promise alone does not: its continuation runs before any of them.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
