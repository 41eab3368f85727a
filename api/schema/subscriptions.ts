import type { ApiContext } from '../context.ts';
import type { LiveValue } from '../live-query.ts';

export const subscriptionsTypeDefs = /* GraphQL */ `
  "Live updates over Server-Sent Events (send the subscription with accept: text/event-stream)."
  type Subscription {
    """
    The order now, then again each time the orders view changes it (null while the view does not
    show it). Pushed when the orders projection commits, only when the order changed.
    """
    orderUpdated("The order id." id: ID!): Order
    """
    Every projection now, then again when one of them moves (at most twice a second) or its
    state or lag changes (checked every few seconds).
    """
    projectionStatus: [Projection!]!
  }
`;

/**
 * Each event carries the value and the positions it was read at; the value is the field's, the
 * positions go to the event's extensions.positions (see freshness.ts), with those of the read
 * models its nested fields read next. Loaders start afresh: a subscription's context lives
 * across events, and an event must not be answered from an earlier event's cache.
 */
function unwrap<V>(event: LiveValue<V>, ctx: ApiContext): V {
  for (const loader of [ctx.orders, ctx.customers, ctx.customerOrders, ctx.products]) loader.clearAll();
  ctx.liveEvent.positions = { ...ctx.watcher.snapshot(ctx.liveEvent.projections), ...event.positions };
  return event.value;
}

export const subscriptionsResolvers = {
  Subscription: {
    orderUpdated: {
      subscribe: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.feeds.orders.subscribe(args.id),
      resolve: (event: LiveValue<unknown>, _: unknown, ctx: ApiContext) => unwrap(event, ctx),
    },
    projectionStatus: {
      subscribe: (_: unknown, __: unknown, ctx: ApiContext) => ctx.feeds.projections.subscribe('all'),
      resolve: (event: LiveValue<unknown>, _: unknown, ctx: ApiContext) => unwrap(event, ctx),
    },
  },
};
