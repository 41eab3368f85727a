import type { DocumentTarget } from '../../definition/define.ts';
import type { ShapeStorage } from '../../definition/public-view.ts';

/**
 * An Elasticsearch index holding one document per key. The engine adds the per-stream
 * positions each document has absorbed (`_positions`) and writes with external versions, so
 * replaying an applied range never changes a document.
 */
export interface ElasticsearchIndexTarget extends DocumentTarget {
  readonly kind: 'elasticsearch';
  /** Field mappings of the documents (plain mappings: the minimal distribution has no analysis-common). */
  readonly properties: Readonly<Record<string, unknown>>;
  /**
   * Documents that fail this test are stored (they hold what is known) but hidden from
   * readers, e.g. a product whose `product_added` has not been seen yet; the API filters on it.
   */
  readonly visibleField?: string;
}

/**
 * Keeps a document projection's documents in an Elasticsearch index (one per generation,
 * behind an alias named as the view).
 *
 * @example
 *   target: elasticsearchIndex({ properties: { added: { type: 'boolean' } }, visibleField: 'added' })
 */
export function elasticsearchIndex(
  target: Omit<ElasticsearchIndexTarget, 'kind' | 'layout' | 'defaultShape'>,
): ElasticsearchIndexTarget {
  return {
    kind: 'elasticsearch',
    ...target,
    layout() {
      return elasticsearchLayout(this.properties, this.visibleField);
    },
  };
}

/** The keyword field that filters and sorts `stored` exactly: itself, or a text field's keyword sub-field. */
function exactField(properties: Readonly<Record<string, unknown>>, stored: string): string | undefined {
  const mapping = properties[stored] as
    | { type?: string; fields?: Record<string, { type?: string }> }
    | undefined;
  if (!mapping) return undefined;
  if (mapping.type !== 'text') return stored;
  const keyword = Object.entries(mapping.fields ?? {}).find(([, sub]) => sub.type === 'keyword');
  return keyword ? `${stored}.${keyword[0]}` : undefined;
}

/**
 * How an index lays out a view: the key is the document id (`_id`), neither filtered nor
 * sorted, so a unique sortable field breaks ties; every other field is a mapped document
 * field, filtered and sorted on its keyword; full-text search over text fields.
 */
export function elasticsearchLayout(
  properties: Readonly<Record<string, unknown>>,
  visibleField?: string,
): ShapeStorage {
  return {
    store: 'elasticsearch',
    document: true,
    needsTieBreaker: true,
    searches: true,
    pagesRelations: false,
    ...(visibleField ? { visibleField } : {}),
    place(field, declared, key) {
      if (key) {
        if (declared.filterable || declared.sortable)
          return `key ${field} is the document id: not filterable or sortable`;
        return { stored: '_id', exact: '_id' };
      }
      const stored = declared.stored ?? field;
      if (!(stored in properties)) return `field ${field} has no mapping ${stored}`;
      const exact = exactField(properties, stored);
      if (!exact && (declared.filterable || declared.sortable)) {
        return `field ${field} is filtered or sorted but ${stored} has no keyword mapping`;
      }
      return { stored, exact: exact ?? stored };
    },
  };
}
