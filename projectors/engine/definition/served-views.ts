import type { Projection } from './define.ts';
import { checkRelations, type DerivedView, PublicShapeError, queryFields, viewOf } from './public-view.ts';

/**
 * The views an application serves: every projection that declares a public shape, with its
 * relations checked against the others and its GraphQL names checked for clashes. Run by
 * `defineApplication`, so every process (projectors, API, CLI, `vista check`) refuses the same
 * mistakes at start-up, not only the API.
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
    for (const field of queryFields(view)) claim(field, `view ${view.name}`);
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
