import {
  checkRelations,
  type DerivedView,
  type Projection,
  PublicShapeError,
  viewOf,
} from '../../projectors/engine/internal.ts';

/**
 * The views the API serves: every registered projection that declares a public shape, with
 * its relations checked against the others and its GraphQL names checked for clashes.
 */
export function servedViews(projections: readonly Projection[]): readonly DerivedView[] {
  const views = projections.flatMap((projection) => viewOf(projection) ?? []);
  checkRelations(views);
  const roots = new Map<string, string>([['projections', 'the operator API']]);
  const subscriptions = new Map<string, string>([['projectionStatus', 'the operator API']]);
  const claim = (field: string, owner: string, taken = roots) => {
    const other = taken.get(field);
    if (other) throw new PublicShapeError(`GraphQL field ${field} of ${owner} is also ${other}'s`);
    taken.set(field, owner);
  };
  for (const view of views) {
    for (const field of [
      view.listField,
      view.lookupField,
      view.searchField,
      view.shape.search?.shortcut?.name,
    ]) {
      if (field) claim(field, `view ${view.name}`);
    }
    claim(view.updatedField, `view ${view.name}`, subscriptions);
    for (const [name, relation] of Object.entries(view.shape.relations ?? {})) {
      const target = views.find((v) => v.name === relation.view);
      if (relation.kind === 'many' && target && !target.pagesRelations) {
        throw new PublicShapeError(
          `view ${view.name}: relation ${name} of kind many needs a view whose store pages relations (PostgreSQL)`,
        );
      }
    }
  }
  return views;
}

/**
 * Which views a field name reads, at any depth: the root fields of each view (list, lookup,
 * search, subscription) and every relation field. A name used by several is all of them, so
 * a query waits for (and reports) at least what it reads.
 */
export function readsOf(views: readonly DerivedView[]): ReadonlyMap<string, readonly string[]> {
  const reads = new Map<string, Set<string>>();
  const add = (field: string | undefined, view: string) => {
    if (!field) return;
    const set = reads.get(field) ?? new Set();
    set.add(view);
    reads.set(field, set);
  };
  for (const view of views) {
    for (const field of [
      view.listField,
      view.lookupField,
      view.updatedField,
      view.searchField,
      view.shape.search?.shortcut?.name,
    ]) {
      add(field, view.name);
    }
    for (const [name, relation] of Object.entries(view.shape.relations ?? {})) add(name, relation.view);
  }
  return new Map([...reads].map(([field, set]) => [field, [...set].sort()]));
}

/** The root and relation fields that return a page (their cost multiplies by the page size). */
export function paginatedFields(views: readonly DerivedView[]): ReadonlySet<string> {
  const fields = new Set<string>();
  for (const view of views) {
    fields.add(view.listField);
    if (view.searchField) fields.add(view.searchField);
    if (view.shape.search?.shortcut) fields.add(view.shape.search.shortcut.name);
    for (const [name, relation] of Object.entries(view.shape.relations ?? {})) {
      if (relation.kind === 'many') fields.add(name);
    }
  }
  return fields;
}
