import type { FieldKindModule } from './field-kind.ts';
import { plainValue } from './values.ts';

/** An enumeration: its GraphQL name, description, and each value with its description. */
export interface EnumKind {
  readonly enum: string;
  readonly description: string;
  readonly values: Readonly<Record<string, string>>;
}

const say = (text: string) => JSON.stringify(text);

/** One of a declared set of values: a GraphQL enum of its own, stored as text. */
export const enumeration: FieldKindModule<EnumKind> = {
  graphqlType: (kind) => kind.enum,
  filterInput: (kind) => `${kind.enum}Filter`,
  says: (kind) => kind.enum,
  // GraphQL already refuses anything but the declared values: no null tests, no orderings.
  operators: ['eq', 'ne', 'in'],
  typeDefs: (kind) => {
    const values = Object.entries(kind.values).map(([value, description]) => `${say(description)} ${value}`);
    return `${say(kind.description)}\nenum ${kind.enum} {\n  ${values.join('\n  ')}\n}`;
  },
  value: plainValue,
  cursor: 'string',
  postgres: { column: 'text' },
  elasticsearch: { mapping: () => ({ type: 'keyword' }) },
};
