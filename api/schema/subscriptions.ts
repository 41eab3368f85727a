import type { ApiContext } from '../context.ts';
import { unwrapLive } from '../derive/resolvers.ts';
import type { LiveValue } from '../live-query.ts';

// Each served view adds its `…Updated(key)` field to this type (api/derive/type-defs.ts).
export const subscriptionsTypeDefs = /* GraphQL */ `
  "Live updates over Server-Sent Events (send the subscription with accept: text/event-stream)."
  type Subscription {
    """
    Every projection now, then again when one of them moves (at most twice a second) or its
    status or lag changes (checked every few seconds).
    """
    projectionStatus: [Projection!]!
  }
`;

export const subscriptionsResolvers = {
  Subscription: {
    projectionStatus: {
      subscribe: (_: unknown, __: unknown, ctx: ApiContext) => ctx.feeds.projections.subscribe('all'),
      resolve: (event: LiveValue<unknown>, _: unknown, ctx: ApiContext) => unwrapLive(event, ctx),
    },
  },
};
