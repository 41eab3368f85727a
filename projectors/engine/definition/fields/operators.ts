import { InvalidInputError, type Value } from './values.ts';

/** Most values an `in` or `notIn` list may hold. */
export const MAX_IN_VALUES = 100;

/** What an operator compares a field with: one value, a list, or (isNull) a yes or no. */
export type Operand = Value | readonly Value[];

/** A condition's column as PostgreSQL reads compile it: the column, and parameters typed as it. */
export interface SqlTerm {
  readonly column: string;
  /** A parameter holding `value`, cast to the column's type. */
  param(value: Value): string;
  /** A parameter holding `values`, cast to an array of the column's type. */
  params(values: readonly Value[]): string;
}

/**
 * One filter operator, whole: its line in a kind's filter input, how its argument is checked,
 * and what it compiles to in each store's reads. User values reach SQL only as parameters and
 * Elasticsearch only as values inside the DSL. A new operator is one more entry here, and its
 * name in the lists below (EQUALITY, ORDERED) or in a kind's own list when only some offer it.
 */
export interface FilterOperator<N extends string = string> {
  readonly name: N;
  /** Its line in a filter input whose values are `valueType`, said as `what`. */
  line(valueType: string, what: string): string;
  /** Its argument, checked (`value` checks one value of the field's kind); `field` names it in messages. */
  operand(field: string, raw: unknown, value: (raw: unknown) => Value): Operand;
  sql(term: SqlTerm, operand: Operand): string;
  elasticsearch(field: string, operand: Operand): Record<string, unknown>;
}

const one = (_field: string, raw: unknown, value: (raw: unknown) => Value): Operand => value(raw);

function list(field: string, op: string, raw: unknown, value: (raw: unknown) => Value): Operand {
  if (!Array.isArray(raw)) throw new InvalidInputError(`${field}.${op} takes a list`);
  if (raw.length > MAX_IN_VALUES)
    throw new InvalidInputError(`${field}.${op} takes at most ${MAX_IN_VALUES} values`);
  return raw.map((v) => value(v));
}

const term = (field: string, value: Operand) => ({ term: { [field]: { value } } });
const terms = (field: string, values: Operand) => ({ terms: { [field]: [...(values as Value[])] } });
const exists = (field: string) => ({ exists: { field } });
const not = (query: Record<string, unknown>) => ({ bool: { must_not: [query] } });

/** `lt`, `lte`, `gt`, `gte`: an ordering comparison. */
function comparison<N extends 'lt' | 'lte' | 'gt' | 'gte'>(
  name: N,
  sql: string,
  says: string,
): FilterOperator<N> {
  return {
    name,
    line: (valueType, what) => `"${says} this ${what}." ${name}: ${valueType}`,
    operand: one,
    sql: (t, operand) => `${t.column} ${sql} ${t.param(operand as Value)}`,
    elasticsearch: (field, operand) => ({ range: { [field]: { [name]: operand } } }),
  };
}

const OPERATORS = [
  {
    name: 'eq',
    line: (valueType, what) => `"Equal to this ${what}." eq: ${valueType}`,
    operand: one,
    sql: (t, operand) => `${t.column} = ${t.param(operand as Value)}`,
    elasticsearch: term,
  },
  {
    name: 'ne',
    line: (valueType, what) => `"Not equal to this ${what} (null values match)." ne: ${valueType}`,
    operand: one,
    sql: (t, operand) => `${t.column} IS DISTINCT FROM ${t.param(operand as Value)}`,
    elasticsearch: (field, operand) => not(term(field, operand)),
  },
  {
    name: 'in',
    line: (valueType, what) =>
      `"One of these ${what} values (at most ${MAX_IN_VALUES})." in: [${valueType}!]`,
    operand: (field, raw, value) => list(field, 'in', raw, value),
    sql: (t, operand) => `${t.column} = ANY(${t.params(operand as Value[])})`,
    elasticsearch: terms,
  },
  {
    name: 'notIn',
    line: (valueType, what) =>
      `"None of these ${what} values (at most ${MAX_IN_VALUES}; null values match)." notIn: [${valueType}!]`,
    operand: (field, raw, value) => list(field, 'notIn', raw, value),
    sql: (t, operand) => `(${t.column} IS NULL OR ${t.column} <> ALL(${t.params(operand as Value[])}))`,
    elasticsearch: (field, operand) => not(terms(field, operand)),
  },
  {
    name: 'isNull',
    line: () => '"True: only null values; false: only values that are not null." isNull: Boolean',
    operand: (field, raw) => {
      if (raw === null) throw new InvalidInputError(`${field}.isNull takes true or false`);
      return raw === true;
    },
    sql: (t, operand) => `${t.column} IS ${operand ? '' : 'NOT '}NULL`,
    elasticsearch: (field, operand) => (operand ? not(exists(field)) : exists(field)),
  },
  comparison('lt', '<', 'Less than'),
  comparison('lte', '<=', 'Less than or equal to'),
  comparison('gt', '>', 'Greater than'),
  comparison('gte', '>=', 'Greater than or equal to'),
] as const satisfies readonly FilterOperator[];

/** The filter operators, by name. */
export type OperatorName = (typeof OPERATORS)[number]['name'];

/** The equality operators most kinds offer, and with them the orderings of kinds whose values compare. */
export const EQUALITY: readonly OperatorName[] = ['eq', 'ne', 'in', 'notIn', 'isNull'];
export const ORDERED: readonly OperatorName[] = [...EQUALITY, 'lt', 'lte', 'gt', 'gte'];

const BY_NAME = new Map<string, FilterOperator<OperatorName>>(
  OPERATORS.map((operator) => [operator.name, operator]),
);

/** The operator named `name`, or undefined when there is none. */
export function operatorNamed(name: string): FilterOperator<OperatorName> | undefined {
  return BY_NAME.get(name);
}
