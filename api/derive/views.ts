import { type DerivedView, queryFields } from '../../projectors/engine/internal.ts';

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
    for (const field of [...queryFields(view), view.updatedField]) add(field, view.name);
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
