import type { Positions } from '../../commit/positions.ts';

/** Bits of an external version below the epoch: room for a total of positions up to about 1.1 × 10^12. */
const POSITION_BITS = 40n;
/**
 * Largest total of positions a version can carry; kept 2^12 under 2^40 so that the epoch read
 * back from a version parsed as a JavaScript number (exact to 2^9 at 2^62) is never off by one.
 */
export const MAX_POSITION_TOTAL = 2 ** 40 - 2 ** 12;
/** Largest epoch a version can carry (a take-over a second for 130 years fits). */
const MAX_EPOCH = 2 ** 22 - 1;

/**
 * A document's external version: the owner's lease epoch in the high bits, the total of the
 * positions the document has absorbed in the low ones. Within one epoch there is one writer,
 * whose documents' totals grow exactly when they absorb events: a write holding anything new
 * wins, a replayed write (nothing new) loses with a 409. Across epochs the newer owner always
 * wins: a stale owner (paused, cut off, frozen) whose bulk arrives late loses to anything the
 * new owner wrote, whatever positions it holds. (The total alone was no such version: owner A
 * holding {CATALOG 1, ORDERS 300} = 301 beat a newer owner's {CATALOG 2} = 2 and erased it.)
 * A string, since it passes 2^53: it is written into the bulk body as a JSON number.
 */
export function versionOf(epoch: number, positions: Positions): string {
  const total = Object.values(positions).reduce<number>((sum, position) => sum + (position ?? 0), 0);
  if (total > MAX_POSITION_TOTAL || epoch > MAX_EPOCH) {
    throw new Error(
      `a document's positions total ${total} (epoch ${epoch}) exceeds what an Elasticsearch version can hold (${MAX_POSITION_TOTAL}, epoch ${MAX_EPOCH})`,
    );
  }
  return ((BigInt(epoch) << POSITION_BITS) + BigInt(total)).toString();
}

/** The epoch a stored version was written with. */
export function epochOfVersion(version: number): number {
  return Math.floor(version / 2 ** Number(POSITION_BITS));
}
