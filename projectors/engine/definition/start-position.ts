/**
 * Where a source starts when a generation of its projection is created: from sequence 1 (the
 * default: the whole history), from a given sequence, from the first event at or after a time,
 * or with only the events published from then on. Resolved to a sequence once, when the
 * generation is created, and stored with its checkpoint: a restart never moves it.
 */
export type StartPosition =
  | { readonly from: 'beginning' }
  | { readonly from: 'sequence'; readonly sequence: number }
  | { readonly from: 'time'; readonly time: string }
  | { readonly from: 'new' };

export const FROM_BEGINNING: StartPosition = { from: 'beginning' };

export class StartPositionError extends Error {
  readonly code = 'START_POSITION_INVALID';
}

/** Checks a start position from a definition or an operator; throws naming what is wrong. */
export function checkStartPosition(start: StartPosition, where: string): StartPosition {
  if (start.from === 'sequence' && (!Number.isSafeInteger(start.sequence) || start.sequence < 1))
    throw new StartPositionError(`${where}: a start sequence is an integer from 1`);
  if (start.from === 'time' && Number.isNaN(Date.parse(start.time)))
    throw new StartPositionError(`${where}: a start time is an ISO-8601 time, e.g. 2026-01-01T00:00:00Z`);
  if (!['beginning', 'sequence', 'time', 'new'].includes(start.from))
    throw new StartPositionError(`${where}: start is beginning, sequence, time or new`);
  return start;
}

/**
 * Parses an operator's `STREAM=…` start: `1`/`beginning`, a sequence, an ISO time or `new`,
 * e.g. `ORDERS=2026-06-01T00:00:00Z`.
 */
export function parseStartPosition(text: string): StartPosition {
  const value = text.trim();
  if (value === 'beginning') return FROM_BEGINNING;
  if (value === 'new') return { from: 'new' };
  if (/^\d+$/.test(value)) return checkStartPosition({ from: 'sequence', sequence: Number(value) }, value);
  return checkStartPosition({ from: 'time', time: value }, value);
}

/** How a start position reads in `status` and in GraphQL: `beginning`, `sequence 42`, … */
export function describeStart(start: StartPosition): string {
  switch (start.from) {
    case 'beginning':
      return 'beginning';
    case 'sequence':
      return `sequence ${start.sequence}`;
    case 'time':
      return `time ${new Date(start.time).toISOString()}`;
    case 'new':
      return 'new events only';
  }
}
