import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../../api/schema/index.ts';
import { history } from '../../../docs/snippets/shop/history.ts';
import app from '../../../docs/snippets/shop/index.ts';
// The guides' document specs register their own tests: what docs/testing.md shows runs here.
import '../../../docs/snippets/testing/document-spec.ts';

describe("the guides' application", () => {
  it('is served with the fields the guides name, and no API code', () => {
    const schema = buildSchema(app.projections);
    const fields = (type: string) =>
      Object.keys((schema.getType(type) as { getFields(): object }).getFields());
    expect(Object.keys(schema.getQueryType()?.getFields() ?? {})).toEqual(
      expect.arrayContaining([
        'orders',
        'order',
        'customers',
        'customer',
        'products',
        'product',
        'searchProduct',
        'searchProducts',
      ]),
    );
    expect(Object.keys(schema.getSubscriptionType()?.getFields() ?? {})).toEqual(
      expect.arrayContaining(['orderUpdated', 'customerUpdated', 'productUpdated', 'projectionStatus']),
    );
    expect(fields('Order')).toContain('customer');
    expect(fields('Customer')).toContain('orders');
  });

  it('has a seeded demo history: the same seed gives the same events', () => {
    const ids = (seed: number) => [...history({ events: 50, seed })].map((e) => [e.id, e.eventType.type]);
    expect(ids(3)).toEqual(ids(3));
    expect(ids(3).length).toBeGreaterThanOrEqual(50);
  });
});
