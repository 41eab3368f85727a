import { describe, expect, it } from 'vitest';
import type { PublicShape } from '../../../../../../projectors/engine/definition/public-shape.ts';
import { deriveView } from '../../../../../../projectors/engine/definition/public-view.ts';
import {
  derivedIndexes,
  postgresLayout,
  postgresTable,
  tableColumns,
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

  it('has a column per public field, of its kind, besides the declared ones (which win)', () => {
    const declared = shape({
      key: ['id'],
      fields: {
        id: { kind: 'id', description: 'Id.' },
        customerId: { kind: 'id', description: 'c', filterable: true },
        totalCents: { kind: 'long', description: 't' },
        lines: { kind: 'int', description: 'l' },
        tags: { kind: 'string', description: 'g', list: true },
        elsewhere: { kind: 'string', description: 'e', stored: 'other_column' },
      },
    });
    expect(tableColumns({ columns: { notes: 'jsonb', lines: 'bigint' } }, declared)).toEqual({
      notes: 'jsonb',
      lines: 'bigint',
      customerId: 'text',
      totalCents: 'bigint',
      tags: 'jsonb',
    });
    // A field stored under a column of its own needs that column declared.
    expect(() => deriveView('orders', declared, postgresTable({}).layout(declared))).toThrow(
      /elsewhere has no column other_column/,
    );
  });
});
