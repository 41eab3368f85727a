import { operatorNamed } from '../../definition/fields/operators.ts';
import type { Value } from '../../definition/fields/values.ts';
import type { DerivedView } from '../../definition/public-view.ts';
import { type Condition, encodeCursor, type PageRequest } from '../../definition/query.ts';
import { type Connection, type Node, toConnection } from '../connection.ts';
import type { SearchReads, ViewReader } from '../store.ts';

type Source = Record<string, unknown>;
type Query = Record<string, unknown>;
interface Hit {
  _id?: string;
  _source?: Source;
  sort?: unknown[];
}

/**
 * A parsed `where` as Elasticsearch filters on the fields' exact (keyword) names: user values
 * only ever as values inside the DSL; each operator says what it compiles to.
 */
export function compileFilter(condition: Condition): Query {
  switch (condition.kind) {
    case 'all':
      return { bool: { filter: condition.of.map(compileFilter) } };
    case 'any':
      return { bool: { should: condition.of.map(compileFilter), minimum_should_match: 1 } };
    case 'op': {
      const operator = operatorNamed(condition.op);
      if (!operator) throw new Error(`no filter operator ${condition.op}`);
      return operator.elasticsearch(condition.field.exact, condition.value);
    }
  }
}

/**
 * Reads of one Elasticsearch view from its public shape: lookups by id, pages sorted on
 * keyword and numeric fields with `search_after` cursors, counts, and full-text search over
 * the declared fields and weights. Documents failing the view's visible field are never read.
 */
export class ElasticsearchViewReader implements ViewReader {
  constructor(
    private readonly es: SearchReads,
    private readonly alias: string,
    readonly view: DerivedView,
  ) {}

  /** The view's visible field, and never a tombstone (a document its projection evolved to null). */
  private visible(): Query[] {
    const live: Query = { bool: { must_not: { term: { _deleted: true } } } };
    return this.view.visibleField ? [{ term: { [this.view.visibleField]: true } }, live] : [live];
  }

  keyOf(node: Node): string {
    return JSON.stringify(this.view.key.map((f) => node[f.name]));
  }

  async lookup(keys: readonly (readonly Value[])[]): Promise<Map<string, Node>> {
    if (keys.length === 0) return new Map();
    // A search, unlike a realtime get, sees what is refreshed: what the checkpoint says.
    const response = await this.es.search<Source>({
      index: this.alias,
      query: { bool: { filter: [{ ids: { values: keys.map((k) => String(k[0])) } }, ...this.visible()] } },
      size: keys.length,
      track_total_hits: false,
    });
    const nodes = (response.hits.hits as Hit[]).flatMap((hit) => (hit._source ? [this.toNode(hit)] : []));
    return new Map(nodes.map((node) => [this.keyOf(node), node]));
  }

  async page(request: PageRequest): Promise<Connection> {
    const order = request.order.map((t) => ({
      [t.field.exact]: { order: (t.direction === 'ASC') !== request.backward ? 'asc' : 'desc' },
    }));
    const query = { bool: { filter: [compileFilter(request.where), ...this.visible()] } };
    return this.run(request, query, order);
  }

  /** Full text over the declared fields with their weights, most relevant first. */
  async search(text: string | null | undefined, request: PageRequest): Promise<Connection> {
    const words = text?.trim() ?? '';
    const fields = Object.entries(this.view.shape.search?.fields ?? {}).map(([f, w]) =>
      w === 1 ? f : `${f}^${w}`,
    );
    const must = words ? [{ multi_match: { query: words, fields } }] : [];
    const query = { bool: { must, filter: [compileFilter(request.where), ...this.visible()] } };
    const order = [
      { _score: { order: 'desc' } },
      ...request.order.map((t) => ({ [t.field.exact]: { order: t.direction === 'ASC' ? 'asc' : 'desc' } })),
    ];
    return this.run(request, query, order, true);
  }

  private async run(request: PageRequest, query: Query, sort: Query[], scored = false): Promise<Connection> {
    const response = await this.es.search<Source>({
      index: this.alias,
      query,
      sort: sort as never,
      size: request.limit + 1,
      track_total_hits: false,
      ...(request.cursor ? { search_after: [...request.cursor] } : {}),
    });
    const hits = (response.hits.hits as Hit[]).filter((hit) => hit._source && hit._id);
    return toConnection(
      hits,
      request,
      (hit) =>
        encodeCursor(
          request.signature,
          (hit.sort ?? []).map((v, i) => (scored && i === 0 ? Number(v) : v)),
        ),
      (hit) => this.toNode(hit),
      () => this.count(query),
    );
  }

  private async count(query: Query): Promise<number> {
    const response = await this.es.count({ index: this.alias, query });
    return response.count;
  }

  toNode(hit: Hit): Node {
    const source = hit._source ?? {};
    const node: Node = {};
    for (const field of this.view.fields) {
      if (field.stored === '_id') node[field.name] = hit._id;
      else node[field.name] = source[field.stored] ?? (field.list ? [] : null);
    }
    return node;
  }
}
