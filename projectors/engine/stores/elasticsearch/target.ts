import type { DocumentTarget } from '../../definition/define.ts';
import { kindOf } from '../../definition/fields/kinds.ts';
import type { PublicShape } from '../../definition/public-shape.ts';
import type { ShapeStorage } from '../../definition/public-view.ts';

/**
 * An Elasticsearch index holding one document per key. The engine adds the per-stream
 * positions each document has absorbed (`_positions`) and writes with external versions, so
 * replaying an applied range never changes a document.
 */
export interface ElasticsearchIndexTarget extends DocumentTarget {
  readonly kind: 'elasticsearch';
  /**
   * Mappings of the document fields the public shape does not derive (plain mappings: the
   * minimal distribution has no analysis-common): fields it does not serve (a visible field),
   * or a mapping of their own. Each public field is mapped as its kind says (`fields/`).
   */
  readonly properties?: Readonly<Record<string, unknown>>;
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
 *   // The public shape's fields are mapped from their kinds; `added` is stored, not served.
 *   target: elasticsearchIndex({ properties: { added: { type: 'boolean' } }, visibleField: 'added' })
 */
export function elasticsearchIndex(
  target: Omit<ElasticsearchIndexTarget, 'kind' | 'layout' | 'defaultShape'>,
): ElasticsearchIndexTarget {
  return {
    kind: 'elasticsearch',
    ...target,
    layout(shape) {
      return elasticsearchLayout(indexProperties(this, shape), this.visibleField);
    },
  };
}

/**
 * The mappings of an index: each public field's from its kind (a full-text field as text, with
 * a keyword when it is also filtered or sorted), then the target's own, which win.
 */
export function indexProperties(
  target: Pick<ElasticsearchIndexTarget, 'properties'>,
  shape: PublicShape | undefined,
): Record<string, unknown> {
  const derived: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape?.fields ?? {})) {
    if (shape?.key.includes(name)) continue;
    const searched = name in (shape?.search?.fields ?? {});
    const exact = Boolean(field.filterable || field.sortable);
    derived[field.stored ?? name] = kindOf(field.kind).elasticsearch.mapping({ searched, exact });
  }
  return { ...derived, ...target.properties };
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
    // Elasticsearch sorts dates and booleans as numbers: their cursors hold integers.
    cursor(kind) {
      const { type } = kindOf(kind).elasticsearch.mapping({ searched: false, exact: true });
      return type === 'date' || type === 'boolean' ? 'integer' : undefined;
    },
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
