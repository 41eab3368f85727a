import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { products } from '../../examples/shop/views/products.ts';
import {
  ElasticsearchGeneration,
  ElasticsearchViewReader,
  viewOf,
} from '../../projectors/engine/internal.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

describe('tombstones in an Elasticsearch view', () => {
  let env: TestEnvironment;
  let sink: ElasticsearchGeneration<Record<string, unknown>, never>;

  const product = (name: string) => ({
    added: true,
    sku: name,
    name,
    description: `a ${name}`,
    category: 'kitchen',
    priceCents: 100,
    tags: [],
    stock: 1,
    unitsSold: 0,
  });

  beforeAll(async () => {
    env = await testEnvironment();
    const { es, pool, streams } = env.infrastructure;
    sink = new ElasticsearchGeneration(es, pool, env.log, products, streams.namespace, 1, 1);
    await sink.ensure('live');
    await sink.writeOutside(
      new Map([
        ['kettle', { doc: product('kettle'), positions: { CATALOG: 1 } }],
        ['teapot', { doc: null, positions: { CATALOG: 2 } }],
      ]),
    );
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('are never served: not by key, not in a list, not in a search', async () => {
    // Without its visible field (`added`), which would hide a tombstone for its own reasons.
    const view = viewOf({ ...products, target: { ...products.target, visibleField: undefined } });
    if (!view) throw new Error('products declares a public shape');
    const reader = new ElasticsearchViewReader(env.infrastructure.es, sink.alias, view);
    const found = await reader.lookup([['kettle'], ['teapot']]);
    expect([...found.values()].map((node) => node.id)).toEqual(['kettle']);
    const request = {
      where: { kind: 'all', of: [] },
      order: [],
      limit: 10,
      backward: false,
      cursor: undefined,
      signature: '',
    } as const;
    const page = await reader.search(null, request);
    expect(page.edges.map((edge) => (edge.node as { id: string }).id)).toEqual(['kettle']);
    const text = await reader.search('teapot', request);
    expect(text.edges).toEqual([]);
  });
});
