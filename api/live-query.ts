import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { Positions } from '../projectors/engine/internal.ts';
import type { Logger } from '../shared/log.ts';

/** What a subscriber receives: the value and the positions it was read at. */
export interface LiveValue<V> {
  readonly value: V;
  /** By projection, the positions of its live generation. */
  readonly positions: Readonly<Record<string, Readonly<Positions>>>;
}

export interface LiveQueryOptions<K, V> {
  /** Reads the current value of every subscribed key in one go (one query for all subscribers). */
  readonly read: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  /** The positions of the views `read` reads, taken just before it runs. */
  readonly positions: () => LiveValue<V>['positions'];
  /** Re-reads at most this often, however often it is invalidated. */
  readonly minIntervalMs?: number;
  readonly log: Logger;
  readonly name: string;
  /**
   * True for a failure of the store itself (unreachable, timed out): the whole read is retried
   * later. Any other failure is taken to depend on the keys read, and the keys that fail alone
   * are isolated by halving, so that one subscriber's bad key fails that subscriber only.
   */
  readonly transient: (error: unknown) => boolean;
  /** The error a subscriber whose key cannot be read is ended with. */
  readonly refuse: (error: unknown) => Error;
}

/** After a failed read (a store briefly unreachable), the next attempt comes this much later. */
const RETRY_MS = 1000;

interface Subscriber<K, V> {
  readonly key: K;
  readonly push: (value: LiveValue<V>) => unknown;
  readonly fail: (error: Error) => unknown;
  /** The last value sent (serialised): a subscriber is only sent changes. */
  sent: string | undefined;
}

/**
 * One shared reader for all subscribers of a process: `invalidate()` (a projector commit) makes
 * it re-read the subscribed keys in one query, and each subscriber is sent its value when it
 * changed. Reads never overlap and are coalesced: a burst of commits costs one or two reads,
 * whatever the number of subscribers. A new subscriber is sent the current value first.
 */
export class LiveQuery<K, V> {
  private readonly subscribers = new Set<Subscriber<K, V>>();
  private running: Promise<void> | undefined;
  private dirty = false;

  constructor(private readonly options: LiveQueryOptions<K, V>) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** The values of `key`, now and after each change, until the consumer returns. */
  subscribe(key: K): AsyncIterableIterator<LiveValue<V>> {
    return new Repeater<LiveValue<V>>(async (push, stop) => {
      const subscriber: Subscriber<K, V> = { key, push, fail: stop, sent: undefined };
      this.subscribers.add(subscriber);
      this.invalidate();
      await stop;
      this.subscribers.delete(subscriber);
      // A slow consumer gets the latest value, not a growing backlog of stale ones.
    }, new SlidingBuffer(1));
  }

  /** Something the values depend on may have changed: re-read (soon, once) if anyone listens. */
  invalidate(): void {
    if (this.subscribers.size === 0) return;
    this.dirty = true;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.dirty && this.subscribers.size > 0) {
      this.dirty = false;
      const started = performance.now();
      await this.readOnce().catch((error: unknown) => {
        this.options.log.warn({ err: error, live: this.options.name }, 'live update read failed; retrying');
        setTimeout(() => this.invalidate(), RETRY_MS).unref();
      });
      const rest = (this.options.minIntervalMs ?? 0) - (performance.now() - started);
      if (this.dirty && rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  }

  private async readOnce(): Promise<void> {
    const subscribers = [...this.subscribers];
    const keys = [...new Set(subscribers.map((s) => s.key))];
    const positions = this.options.positions();
    const { values, failed } = await this.readIsolating(keys);
    for (const subscriber of subscribers) {
      if (!this.subscribers.has(subscriber)) continue;
      if (failed.has(subscriber.key)) {
        this.subscribers.delete(subscriber);
        subscriber.fail(this.options.refuse(failed.get(subscriber.key)));
        continue;
      }
      const value = values.get(subscriber.key) as V;
      const serialised = JSON.stringify(value ?? null);
      if (serialised === subscriber.sent) continue;
      subscriber.sent = serialised;
      subscriber.push({ value, positions });
    }
  }

  /**
   * Reads `keys` in one go; when that fails for a reason other than the store, reads each half
   * apart, down to the keys that fail alone: a few extra reads, only on failure, and only
   * about log2(keys) per bad key. A store failure is thrown for the whole read to be retried.
   */
  private async readIsolating(
    keys: readonly K[],
  ): Promise<{ values: ReadonlyMap<K, V>; failed: ReadonlyMap<K, unknown> }> {
    try {
      return { values: await this.options.read(keys), failed: new Map() };
    } catch (error) {
      if (this.options.transient(error) || keys.length === 0) throw error;
      const [only] = keys;
      if (keys.length === 1 && only !== undefined) {
        this.options.log.warn({ err: error, live: this.options.name }, 'live update read failed for one key');
        return { values: new Map(), failed: new Map([[only, error]]) };
      }
      const middle = Math.ceil(keys.length / 2);
      const halves = [
        await this.readIsolating(keys.slice(0, middle)),
        await this.readIsolating(keys.slice(middle)),
      ];
      return {
        values: new Map(halves.flatMap((h) => [...h.values])),
        failed: new Map(halves.flatMap((h) => [...h.failed])),
      };
    }
  }
}
