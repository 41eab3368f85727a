import { expect } from 'vitest';
import type { AnyEvent, DocumentProjection } from '../../projectors/engine/index.ts';
import { spec as engineSpec } from '../../projectors/engine/index.ts';

export { foldDocuments } from '../../projectors/engine/index.ts';

/** The engine's spec helper with vitest's equality, so expectations may use its matchers. */
export function spec<Doc extends object, E extends AnyEvent, L>(projection: DocumentProjection<Doc, E, L>) {
  return engineSpec(projection, (actual, expected) => expect(actual).toEqual(expected));
}
