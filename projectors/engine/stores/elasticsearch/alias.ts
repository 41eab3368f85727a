/**
 * The public name of a view in Elasticsearch: the alias readers query, pointed at the live
 * generation's index at the switch. A namespace (tests, side-by-side installs) prefixes it, as
 * it prefixes stream names.
 */
export function elasticsearchAlias(namespace: string, view: string): string {
  return namespace ? `${namespace}-${view}` : view;
}
