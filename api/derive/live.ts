import { createGraphQLError } from 'graphql-yoga';
import type { DerivedView, Node, ViewReader } from '../../projectors/engine/internal.ts';
import type { Logger } from '../../shared/log.ts';
import type { CheckpointWatcher } from '../checkpoint-watcher.ts';
import { storeUnavailable } from '../errors.ts';
import { LiveQuery } from '../live-query.ts';
import { findNodes } from './readers.ts';

/**
 * One live reader per served view behind its `…Updated(key)` subscription: when the view's
 * projection commits, every subscribed key is re-read in one query and each subscriber is sent
 * its node if it changed.
 */
export function viewFeeds(
  views: readonly DerivedView[],
  readers: ReadonlyMap<string, ViewReader>,
  watcher: CheckpointWatcher,
  log: Logger,
): ReadonlyMap<string, LiveQuery<string, Node | null>> {
  return new Map(
    views.map((view) => [
      view.name,
      new LiveQuery<string, Node | null>({
        name: view.updatedField,
        log,
        read: (keys) => findNodes(readers.get(view.name) as ViewReader, keys),
        // A key whose read fails on its own ends that subscriber only (see LiveQuery).
        transient: storeUnavailable,
        refuse: () =>
          createGraphQLError(`this key cannot be read from the ${view.name} view`, {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        positions: () => watcher.snapshot([view.name]),
      }),
    ]),
  );
}
