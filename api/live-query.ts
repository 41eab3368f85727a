import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { Logger } from '../shared/log.ts';

/** What a subscriber receives: the value and the positions it was read at. */
export interface LiveValue<V> {
  readonly value: V;
  readonly positions: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface LiveQueryOptions<K, V> {
  /** Reads the current value of every subscribed key in one go (one query for all subscribers). */
  readonly read: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  /** The positions of the read models `read` reads, taken just before it runs. */
  readonly positions: () => LiveValue<V>['positions'];
  /** Re-reads at most this often, however often it is invalidated. */
  readonly minIntervalMs?: number;
  readonly log: Logger;
  readonly name: string;
}

/** After a failed read (a store briefly unreachable), the next attempt comes this much later. */
const RETRY_MS = 1000;

interface Subscriber<K, V> {
  readonly key: K;
  readonly push: (value: LiveValue<V>) => unknown;
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
      const subscriber: Subscriber<K, V> = { key, push, sent: undefined };
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
    const values = await this.options.read(keys);
    for (const subscriber of subscribers) {
      if (!this.subscribers.has(subscriber)) continue;
      const value = values.get(subscriber.key) as V;
      const serialised = JSON.stringify(value ?? null);
      if (serialised === subscriber.sent) continue;
      subscriber.sent = serialised;
      subscriber.push({ value, positions });
    }
  }
}
