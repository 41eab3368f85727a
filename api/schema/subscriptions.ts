import type { CheckpointWatcher } from '../checkpoint-watcher.ts';
import type { ApiContext } from '../context.ts';
import { findOrder } from './orders.ts';
import { readProjections } from './projections.ts';

export const subscriptionsTypeDefs = /* GraphQL */ `
  type Subscription {
    "The order now and each time the orders view changes it (null while it is not shown). Over SSE."
    orderUpdated(id: ID!): Order
    "Every projection now and whenever a checkpoint moves, at most twice a second. Over SSE."
    projectionStatus: [Projection!]!
  }
`;

/**
 * Yields `read()` now and again after each checkpoint move of `projection` (any projection
 * when undefined), when the value changed: driven by the projectors' commits through the
 * process's one CheckpointWatcher, never by a poll per subscriber.
 */
export async function* changes<T>(
  watcher: CheckpointWatcher,
  projection: string | undefined,
  read: () => Promise<T>,
  minIntervalMs = 0,
): AsyncGenerator<T> {
  let wake: (() => void) | undefined;
  let pending = true;
  const onChange = (name: string) => {
    if (projection && name !== projection) return;
    pending = true;
    wake?.();
  };
  watcher.on('change', onChange);
  try {
    let last: string | undefined;
    for (;;) {
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      pending = false;
      const value = await read();
      const serialized = JSON.stringify(value);
      if (serialized !== last) {
        last = serialized;
        yield value;
      }
      if (minIntervalMs) await new Promise((resolve) => setTimeout(resolve, minIntervalMs));
    }
  } finally {
    watcher.off('change', onChange);
  }
}

export const subscriptionsResolvers = {
  Subscription: {
    orderUpdated: {
      subscribe: (_: unknown, args: { id: string }, ctx: ApiContext) =>
        changes(ctx.watcher, 'orders', () => findOrder(ctx, args.id)),
      resolve: (order: unknown) => order,
    },
    projectionStatus: {
      subscribe: (_: unknown, __: unknown, ctx: ApiContext) =>
        changes(ctx.watcher, undefined, async () => readProjections(ctx.pool, await ctx.streamHeads()), 500),
      resolve: (projections: unknown) => projections,
    },
  },
};
