import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { LiveFeeds, StreamClock } from './context.ts';
import { LiveQuery } from './live-query.ts';
import { findOrders, type Order } from './schema/orders.ts';
import { type Projection, readProjections } from './schema/projections.ts';

/** Projection states and lag change without a commit (halted, stream heads moving): re-check this often. */
const PROJECTION_STATUS_EVERY_MS = 5000;

/**
 * The readers behind subscriptions, driven by the projectors' commits through the process's
 * one CheckpointWatcher: when the orders checkpoint moves, every subscribed order is re-read in
 * one query; when any checkpoint moves, the projections once (at most twice a second). Returns
 * the feeds and a function that detaches them.
 */
export function createLiveFeeds(deps: {
  readonly watcher: CheckpointWatcher;
  readonly pool: Pool;
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  readonly clock?: StreamClock;
  readonly log: Logger;
}): { feeds: LiveFeeds; close(): void } {
  const { watcher, pool, log } = deps;
  const orders = new LiveQuery<string, Order | null>({
    name: 'orderUpdated',
    log,
    read: (ids) => findOrders(pool, ids),
    positions: () => watcher.snapshot(['orders']),
  });
  const projections = new LiveQuery<'all', Projection[]>({
    name: 'projectionStatus',
    log,
    minIntervalMs: 500,
    read: async () => new Map([['all', await readProjections(pool, await deps.streamHeads(), deps.clock)]]),
    positions: () => watcher.snapshot(watcher.projections()),
  });
  const onChange = (projection: string) => {
    if (projection === 'orders') orders.invalidate();
    projections.invalidate();
  };
  watcher.on('change', onChange);
  const timer = setInterval(() => projections.invalidate(), PROJECTION_STATUS_EVERY_MS);
  timer.unref();
  return {
    feeds: { orders, projections },
    close: () => {
      watcher.off('change', onChange);
      clearInterval(timer);
    },
  };
}
