/**
 * Positions: per stream, the last sequence a projection has absorbed (or, asked by a reader,
 * the sequence it needs absorbed). A checkpoint is a generation's positions as stored.
 */
export type Positions = Partial<Record<string, number>>;

/**
 * Whether `positions` covers `required` on the streams it reads: a stream it does not read is
 * ignored, and nothing is reached without positions at all.
 */
export function hasReached(
  positions: Readonly<Positions> | undefined,
  required: Readonly<Positions>,
): boolean {
  if (!positions) return false;
  return Object.entries(required).every(([stream, position]) => {
    const reached = positions[stream];
    return reached === undefined || reached >= (position ?? 0);
  });
}
