import DataLoader from 'dataloader';
import {
  type Condition,
  type Connection,
  type DerivedField,
  type DerivedView,
  type Node,
  type PageRequest,
  type ReadStores,
  readerOf,
  type Value,
  type ViewReader,
} from '../../projectors/engine/internal.ts';

/**
 * One reader per served view on `stores`: a request's share (see request-stores.ts), or the
 * process's own for the live feeds. A reader holds only its view's derived statements.
 */
export function createReaders(
  views: readonly DerivedView[],
  stores: ReadStores,
): ReadonlyMap<string, ViewReader> {
  return new Map(views.map((view) => [view.name, readerOf(view, stores)]));
}

/** Nodes by key (JSON of the key values), for subscriptions and loaders alike. */
export async function findNodes(
  reader: ViewReader,
  keys: readonly string[],
): Promise<Map<string, Node | null>> {
  const found = await reader.lookup(keys.map((k) => JSON.parse(k) as Value[]));
  return new Map(keys.map((k) => [k, found.get(k) ?? null]));
}

interface RelationPage {
  readonly parent: readonly Value[];
  /** The page's arguments, serialised: pages with the same arguments share one query. */
  readonly args: string;
  readonly request: PageRequest;
}

interface RelationCount {
  readonly parent: readonly Value[];
  readonly args: string;
  readonly where: Condition;
}

function groupBy<T extends { args: string }>(items: readonly T[]): Map<string, { item: T; index: number }[]> {
  const groups = new Map<string, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const group = groups.get(item.args) ?? [];
    group.push({ item, index });
    groups.set(item.args, group);
  });
  return groups;
}

/**
 * Per request, one DataLoader per view (lookups by key) and per relation (pages under many
 * parents): whatever the nesting, a level of a query costs one statement per view, not one
 * per parent.
 */
export class RequestLoaders {
  private readonly lookups = new Map<string, DataLoader<string, Node | null>>();
  private readonly pageLoaders = new Map<string, DataLoader<RelationPage, Connection, string>>();
  private readonly countLoaders = new Map<string, DataLoader<RelationCount, number, string>>();

  constructor(private readonly readers: ReadonlyMap<string, ViewReader>) {}

  private reader(view: string): ViewReader {
    const reader = this.readers.get(view);
    if (!reader) throw new Error(`no reader for view ${view}`);
    return reader;
  }

  lookup(view: string): DataLoader<string, Node | null> {
    let loader = this.lookups.get(view);
    if (!loader) {
      const reader = this.reader(view);
      loader = new DataLoader(async (keys: readonly string[]) => {
        const found = await findNodes(reader, keys);
        return keys.map((k) => found.get(k) ?? null);
      });
      this.lookups.set(view, loader);
    }
    return loader;
  }

  /** Pages of `view` whose `join` fields equal each parent's values. */
  pages(
    id: string,
    view: string,
    join: readonly DerivedField[],
  ): DataLoader<RelationPage, Connection, string> {
    let loader = this.pageLoaders.get(id);
    if (!loader) {
      const reader = this.reader(view);
      const { pages: pagesOf, counts: countsOf } = reader;
      if (!pagesOf || !countsOf) throw new Error(`relation ${id} needs a view whose store pages relations`);
      const counts = this.counts(id, (parents, where) => countsOf.call(reader, join, parents, where));
      loader = new DataLoader<RelationPage, Connection, string>(
        async (pages) => {
          const results: Connection[] = new Array(pages.length);
          for (const group of groupBy(pages).values()) {
            const [head] = group;
            if (!head) continue;
            const first = head.item;
            const connections = await pagesOf.call(
              reader,
              join,
              group.map((g) => g.item.parent),
              first.request,
              (parent) => counts.load({ parent, args: first.args, where: first.request.where }),
            );
            group.forEach((g, i) => {
              results[g.index] = connections[i] as Connection;
            });
          }
          return results;
        },
        { cacheKeyFn: (page) => JSON.stringify([page.parent, page.args]) },
      );
      this.pageLoaders.set(id, loader);
    }
    return loader;
  }

  private counts(
    id: string,
    count: (parents: readonly (readonly Value[])[], where: Condition) => Promise<number[]>,
  ) {
    let loader = this.countLoaders.get(id);
    if (!loader) {
      loader = new DataLoader<RelationCount, number, string>(
        async (items) => {
          const results: number[] = new Array(items.length);
          for (const group of groupBy(items).values()) {
            const [head] = group;
            if (!head) continue;
            const where = head.item.where;
            const counts = await count(
              group.map((g) => g.item.parent),
              where,
            );
            group.forEach((g, i) => {
              results[g.index] = counts[i] as number;
            });
          }
          return results;
        },
        { cacheKeyFn: (item) => JSON.stringify([item.parent, item.args]) },
      );
      this.countLoaders.set(id, loader);
    }
    return loader;
  }

  /** A subscription's context lives across events: each event reads afresh. */
  clearAll(): void {
    for (const loader of this.lookups.values()) loader.clearAll();
    for (const loader of this.pageLoaders.values()) loader.clearAll();
    for (const loader of this.countLoaders.values()) loader.clearAll();
  }
}
