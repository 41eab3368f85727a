import { checkTime, unstorable } from '../../../shared/events/storable.ts';
import type { CursorType } from './fields/field-kind.ts';
import type { Operand, OperatorName } from './fields/operators.ts';
import type { Value } from './fields/values.ts';
import type { DerivedField } from './public-view.ts';

/**
 * A query on a view as the stores read it: a parsed `where`, an ordering and a page, with the
 * view's derived fields. The API parses GraphQL arguments into these; each store compiles them
 * (to SQL parameters, to Elasticsearch DSL values).
 */

/** A parsed `where`: all of, any of, or one operator on one field (`fields/operators.ts`). */
export type Condition =
  | { readonly kind: 'all'; readonly of: readonly Condition[] }
  | { readonly kind: 'any'; readonly of: readonly Condition[] }
  | {
      readonly kind: 'op';
      readonly op: OperatorName;
      readonly field: DerivedField;
      readonly value: Operand;
    };

export interface SortTerm {
  readonly field: DerivedField;
  readonly direction: 'ASC' | 'DESC';
}

/** One page request, validated: size, direction, ordering, and the cursor's key values. */
export interface PageRequest {
  readonly where: Condition;
  readonly order: readonly SortTerm[];
  readonly limit: number;
  /** Pages backwards from `before` (`last`), else forwards from `after` (`first`). */
  readonly backward: boolean;
  readonly cursor: readonly Value[] | undefined;
  /** The cursor tag of this ordering: a cursor of another ordering or view is refused. */
  readonly signature: string;
}

const INT32 = 2 ** 31;
const MAX_CURSOR_LENGTH = 1024;

export function fitsCursor(type: CursorType, value: unknown): boolean {
  switch (type) {
    case 'int':
      return Number.isInteger(value) && (value as number) >= -INT32 && (value as number) < INT32;
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'date':
      return (
        typeof value === 'string' &&
        /^\d{4}-\d{2}-\d{2}$/.test(value) &&
        checkTime(`${value}T00:00:00Z`) === undefined
      );
    default:
      return typeof value === type;
  }
}

/** Cursors are opaque to clients: base64url of the ordering's signature and the edge's sort key. */
export function encodeCursor(signature: string, values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify([signature, ...values])).toString('base64url');
}

/** The sort key a cursor of this ordering holds, its values of the given types; undefined when it is not one. */
export function readCursor(
  cursor: string,
  signature: string,
  types: readonly CursorType[],
): Value[] | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded[0] !== signature) return undefined;
    const values: unknown[] = decoded.slice(1);
    const valid =
      unstorable(values) === undefined &&
      values.length === types.length &&
      values.every((v, i) => fitsCursor(types[i] as CursorType, v));
    return valid ? (values as Value[]) : undefined;
  } catch {
    return undefined;
  }
}
