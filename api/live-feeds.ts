import type { DerivedView, ViewReader } from '../projectors/engine/internal.ts';
import type { Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { LiveFeeds } from './context.ts';
import { viewFeeds } from './derive/live.ts';
import type { FilteredSources } from './filtered-sources.ts';
import { LiveQuery } from './live-query.ts';
import { type Projection, readProjections, type StreamClock } from './projection-status.ts';

/** Projection states and lag change without a commit (halted, stream heads moving): re-check this often. */
const PROJECTION_STATUS_EVERY_MS = 5000;

/**
 * The readers behind subscriptions, driven by the projectors' commits through the process's
 * one CheckpointWatcher: when a view's checkpoint moves, every subscribed node of it is re-read
 * in one query; when any checkpoint moves, the projections once (at most twice a second). Returns
 * the feeds and a function that detaches them.
 */
export function createLiveFeeds(deps: {
  readonly watcher: CheckpointWatcher;
  readonly pool: Pool;
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  readonly clock?: StreamClock;
  /** Filtered sources' lag from what their filters match (see FilteredSources). */
  readonly filtered?: FilteredSources | undefined;
  readonly log: Logger;
  readonly views: readonly DerivedView[];
  readonly readers: ReadonlyMap<string, ViewReader>;
}): { feeds: LiveFeeds; close(): void } {
  const { watcher, pool, log } = deps;
  const views = viewFeeds(deps.views, deps.readers, watcher, log);
  const projections = new LiveQuery<'all', Projection[]>({
    name: 'projectionStatus',
    log,
    minIntervalMs: 500,
    // Its read has no keys: any failure is the store's, retried for every subscriber.
    transient: () => true,
    refuse: (error) => (error instanceof Error ? error : new Error(String(error))),
    read: async () =>
      new Map([['all', await readProjections(pool, await deps.streamHeads(), deps.clock, deps.filtered)]]),
    positions: () => watcher.snapshot(watcher.projections()),
  });
  const onChange = (projection: string) => {
    views.get(projection)?.invalidate();
    projections.invalidate();
  };
  watcher.on('change', onChange);
  const timer = setInterval(() => projections.invalidate(), PROJECTION_STATUS_EVERY_MS);
  timer.unref();
  return {
    feeds: { views, projections },
    close: () => {
      watcher.off('change', onChange);
      clearInterval(timer);
    },
  };
}
