import { describe, expect, it } from 'vitest';
import { servedViews } from '../../../../api/derive/views.ts';
import { buildSchema } from '../../../../api/schema/index.ts';
import ledger from '../../../../examples/ledger/index.ts';
import shop from '../../../../examples/shop/index.ts';
import type { Application } from '../../../../projectors/engine/index.ts';

describe('the schema of an application', () => {
  it('serves each view from its definition, with no API code for the application', () => {
    const fields = (app: { projections: Application['projections'] }) =>
      Object.keys(buildSchema(app.projections).getQueryType()?.getFields() ?? {});
    expect(fields(shop)).toEqual(
      expect.arrayContaining([
        'orders',
        'order',
        'customerStats',
        'customer',
        'products',
        'product',
        'dailySales',
      ]),
    );
    // The ledger's PostgreSQL document views declare no shape: theirs is derived from their columns.
    expect(fields(ledger)).toEqual(
      expect.arrayContaining([
        'accountBalances',
        'accountBalancesByKey',
        'holders',
        'holdersByKey',
        'projections',
      ]),
    );
    expect(fields(ledger)).not.toContain('orders');
  });

  it('derives a default shape from the columns: indexed columns filterable, none sortable', () => {
    const balances = servedViews(ledger.projections).find((v) => v.name === 'account_balances');
    const filterable = balances?.fields.filter((f) => f.filterable).map((f) => f.name);
    expect(filterable).toEqual(['holderId', 'balanceCents']);
    expect(balances?.fields.some((f) => f.sortable)).toBe(false);
    expect(balances?.fields.find((f) => f.name === 'openedAt')?.kind).toBe('timestamp');
  });
});
