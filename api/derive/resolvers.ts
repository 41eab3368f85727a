import type { GraphQLResolveInfo } from 'graphql';
import type {
  DerivedField,
  DerivedView,
  Node,
  SortTerm,
  Value,
  ViewReader,
} from '../../projectors/engine/internal.ts';
import type { ApiContext } from '../context.ts';
import type { LiveValue } from '../live-query.ts';
import {
  badInput,
  checkedKey,
  MAX_QUERY_LENGTH,
  parseOrder,
  parsePage,
  parseWhere,
  withShortcuts,
} from './query-input.ts';
import { lookupArguments } from './type-defs.ts';

type Args = Record<string, unknown>;
type Resolver = (parent: unknown, args: Args, ctx: ApiContext, info: GraphQLResolveInfo) => unknown;

/**
 * Whether the query itself gave `first` (its default of 20 is filled in by GraphQL), so that
 * `last` with a `first` is refused but `last` alone is not.
 */
function givenFirst(info: GraphQLResolveInfo): boolean {
  const argument = info.fieldNodes[0]?.arguments?.find((a) => a.name.value === 'first');
  if (!argument) return false;
  if (argument.value.kind === 'Variable') return info.variableValues[argument.value.name.value] != null;
  return argument.value.kind !== 'NullValue';
}

function listRequest(
  view: DerivedView,
  args: Args,
  info: GraphQLResolveInfo,
  shortcuts?: Readonly<Record<string, { field: string }>>,
) {
  const where = withShortcuts(view, parseWhere(view, args.where), shortcuts, args);
  return parsePage(view, args, givenFirst(info), parseOrder(view, args.orderBy), where);
}

/** The unwrap of a subscription event: fresh loaders and read budget, the event's positions for extensions. */
export function unwrapLive<V>(event: LiveValue<V>, ctx: ApiContext): V {
  ctx.loaders.clearAll();
  ctx.stores.nextEvent();
  ctx.liveEvent.positions = { ...ctx.watcher.snapshot(ctx.liveEvent.projections), ...event.positions };
  return event.value;
}

/** The request's reader of a view (on its share of the stores: see request-stores.ts). */
const readerOf = (ctx: ApiContext, view: DerivedView) => ctx.readers.get(view.name) as ViewReader;

/** Resolvers of every served view, each from the view's shape only. */
export function derivedResolvers(views: readonly DerivedView[]) {
  const query: Record<string, Resolver> = {};
  const subscription: Record<string, { subscribe: Resolver; resolve: Resolver }> = {};
  const types: Record<string, Record<string, Resolver>> = {};
  const byName = new Map(views.map((v) => [v.name, v]));
  for (const view of views) {
    const keyArgs = lookupArguments(view);
    const keyOf = (args: Args) => {
      checkedKey(args);
      return JSON.stringify(keyArgs.map((k) => args[k.arg]));
    };
    query[view.listField] = (_, args, ctx, info) =>
      readerOf(ctx, view).page(listRequest(view, args, info, view.shape.list?.shortcuts));
    query[view.lookupField] = (_, args, ctx) => ctx.loaders.lookup(view.name).load(keyOf(args));
    subscription[view.updatedField] = {
      subscribe: (_, args, ctx) => {
        const feed = ctx.feeds.views.get(view.name);
        if (!feed) throw new Error(`no live feed for view ${view.name}`);
        return feed.subscribe(keyOf(args));
      },
      resolve: (event, _, ctx) => unwrapLive(event as LiveValue<unknown>, ctx),
    };
    // A search field is derived only for a view whose store searches.
    if (view.searchField) {
      const order: SortTerm[] = parseOrder(view, [{ [view.shape.tieBreaker as string]: 'ASC' }]);
      const search = (
        args: Args,
        ctx: ApiContext,
        info: GraphQLResolveInfo,
        shortcuts?: Readonly<Record<string, { field: string }>>,
      ) => {
        const where = withShortcuts(view, parseWhere(view, args.where), shortcuts, args);
        const request = parsePage(view, args, givenFirst(info), order, where, 'search');
        const text = args.query as string | null;
        if ((text?.trim() ?? '').length > MAX_QUERY_LENGTH)
          throw badInput(`query must be at most ${MAX_QUERY_LENGTH} characters`);
        const reader = readerOf(ctx, view);
        if (!reader.search) throw new Error(`view ${view.name} is not searched by its store`);
        return reader.search(text, request);
      };
      query[view.searchField] = (_, args, ctx, info) => search(args, ctx, info);
      const shortcut = view.shape.search?.shortcut;
      if (shortcut)
        query[shortcut.name] = (_, args, ctx, info) =>
          search({ ...args, where: undefined }, ctx, info, shortcut.args);
    }
    const fields: Record<string, Resolver> = {};
    for (const [name, relation] of Object.entries(view.shape.relations ?? {})) {
      const target = byName.get(relation.view) as DerivedView;
      const mine = Object.keys(relation.on);
      if (relation.kind === 'one') {
        const order = target.key.map((k) => mine[Object.values(relation.on).indexOf(k.name)] as string);
        fields[name] = (parent, _, ctx) => {
          const values = order.map((f) => (parent as Node)[f]);
          if (values.some((v) => v === null || v === undefined)) return null;
          return ctx.loaders.lookup(target.name).load(JSON.stringify(values));
        };
      } else {
        const join = Object.values(relation.on).map(
          (f) => target.fields.find((t) => t.name === f) as DerivedField,
        );
        const id = `${view.type}.${name}`;
        fields[name] = (parent, args, ctx, info) => {
          const request = listRequest(target, args, info, relation.shortcuts);
          const values = mine.map((f) => (parent as Node)[f] as Value);
          const key = JSON.stringify([args, givenFirst(info)]);
          return ctx.loaders.pages(id, target.name, join).load({ parent: values, args: key, request });
        };
      }
    }
    if (Object.keys(fields).length > 0) types[view.type] = fields;
  }
  return { Query: query, Subscription: subscription, ...types };
}
