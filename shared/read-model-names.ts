/**
 * Public names of read models in Elasticsearch: the alias readers query. A namespace (tests,
 * side-by-side installs) prefixes them, as it prefixes stream names.
 */
export function elasticsearchAlias(namespace: string, view: string): string {
  return namespace ? `${namespace}-${view}` : view;
}
