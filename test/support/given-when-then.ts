import { expect } from 'vitest';
import type { AnyEvent, DocumentProjection, SqlProjection } from '../../projectors/engine/internal.ts';
import { spec as engineSpec, sqlSpec as engineSqlSpec } from '../../projectors/engine/internal.ts';
import type { Pool } from '../../shared/clients/postgres.ts';

export { foldDocuments } from '../../projectors/engine/internal.ts';

/** The engine's spec helper with vitest's equality, so expectations may use its matchers. */
export function spec<Doc extends object, E extends AnyEvent, L>(projection: DocumentProjection<Doc, E, L>) {
  return engineSpec(projection, (actual, expected) => expect(actual).toEqual(expected));
}

/** The engine's SQL spec helper with vitest's equality. */
export function sqlSpec<E extends AnyEvent>(projection: SqlProjection<E>, pool: Pool) {
  return engineSqlSpec(projection, pool, (actual, expected) => expect(actual).toEqual(expected));
}
