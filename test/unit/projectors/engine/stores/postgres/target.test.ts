import { describe, expect, it } from 'vitest';
import type { PublicShape } from '../../../../../../projectors/engine/definition/public-shape.ts';
import { deriveView } from '../../../../../../projectors/engine/definition/public-view.ts';
import {
  derivedIndexes,
  postgresLayout,
} from '../../../../../../projectors/engine/stores/postgres/target.ts';

const shape = (overrides: Partial<PublicShape> = {}): PublicShape => ({
  description: 'Sales.',
  noun: { one: 'sale', many: 'sales' },
  key: ['day', 'category'],
  fields: {},
  ...overrides,
});

describe('a document table', () => {
  it('indexes the filterable and sortable columns no declared index leads with', () => {
    const doc = postgresLayout();
    const view = deriveView(
      'orders',
      shape({
        key: ['id'],
        fields: {
          id: { kind: 'id', description: 'Id.', filterable: true },
          customerId: { kind: 'id', description: 'c', filterable: true },
          totalCents: { kind: 'long', description: 't', sortable: true },
          placedAt: { kind: 'timestamp', description: 'p', sortable: true },
          lineCount: { kind: 'int', description: 'l' },
        },
      }),
      doc,
    );
    expect(derivedIndexes(view, [['customerId', 'placedAt']])).toEqual([['totalCents'], ['placedAt']]);
  });
});
