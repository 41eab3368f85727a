import { boolean } from './boolean.ts';
import { date } from './date.ts';
import { type EnumKind, enumeration } from './enum.ts';
import type { ColumnType, FieldKindModule } from './field-kind.ts';
import { float } from './float.ts';
import { id } from './id.ts';
import { int } from './int.ts';
import { long } from './long.ts';
import { operatorNamed } from './operators.ts';
import { string } from './string.ts';
import { timestamp } from './timestamp.ts';

export type { EnumKind } from './enum.ts';

/** The scalar kinds, by the name a definition gives them: a new kind is one more entry. */
const SCALARS = { id, string, int, long, float, boolean, timestamp, date } as const;

/** Kinds of a public field; `timestamp` is an ISO-8601 string, `date` is `YYYY-MM-DD`. */
export type ScalarKind = keyof typeof SCALARS;

export type FieldKind = ScalarKind | EnumKind;

/** The module of a field's kind. */
export function kindOf(kind: FieldKind): FieldKindModule<FieldKind> {
  return (typeof kind === 'string' ? SCALARS[kind] : enumeration) as FieldKindModule<FieldKind>;
}

/** The scalar kind a bare column of `type` is served as, if any (a view's default shape). */
export function kindOfColumn(type: string): ScalarKind | undefined {
  return (Object.keys(SCALARS) as ScalarKind[]).find((name) => {
    const { postgres } = SCALARS[name] as FieldKindModule<ScalarKind>;
    return postgres.bare && postgres.column === (type as ColumnType);
  });
}

const say = (text: string) => JSON.stringify(text);

/** The filter input of a kind: its operators' lines, in the kind's order. */
export function filterTypeDefs(kind: FieldKind): string {
  const module = kindOf(kind);
  const valueType = module.graphqlType(kind);
  const what = module.says(kind);
  const lines = module.operators.map((name) => operatorNamed(name)?.line(valueType, what));
  return `${say(`Conditions on a ${what} field; all that are given must hold.`)}\ninput ${module.filterInput(kind)} {\n  ${lines.join('\n  ')}\n}`;
}
