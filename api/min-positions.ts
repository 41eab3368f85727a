import { createGraphQLError } from 'graphql-yoga';
import type { Positions } from '../projectors/engine/internal.ts';
import type { Streams } from '../shared/events/streams.ts';

/**
 * The read-your-writes header: the stream sequences a client's own publishes were acknowledged
 * with, `X-Vista-Min-Positions: ORDERS=1042,PAYMENTS=77` (or the JSON object
 * `{"ORDERS":1042,"PAYMENTS":77}`). A stream may be named as in the contract (`ORDERS`) or as
 * JetStream acknowledged it (`ack.stream`, which carries the installation's namespace).
 */
export const MIN_POSITIONS_HEADER = 'x-vista-min-positions';

function invalid(problem: string, streams: Pick<Streams, 'names'>): Error {
  return createGraphQLError(
    `${MIN_POSITIONS_HEADER}: ${problem}; expected e.g. ORDERS=1042,PAYMENTS=77 with streams ${streams.names.join(', ')}`,
    { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
  );
}

function entries(header: string, streams: Pick<Streams, 'names'>): [string, unknown][] {
  const text = header.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid('not valid JSON', streams);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw invalid('not an object', streams);
    return Object.entries(parsed);
  }
  return text.split(',').map((part) => {
    const at = part.indexOf('=');
    if (at < 0) throw invalid(`"${part.trim().slice(0, 40)}" is not STREAM=sequence`, streams);
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
}

/** Parses the header; a malformed one is the client's error (400), never silently ignored. */
export function parseMinPositions(header: string, streams: Pick<Streams, 'names' | 'byName'>): Positions {
  const pairs = entries(header, streams);
  // Each stream may be named twice (contract and JetStream spelling); more is not a client's list.
  if (pairs.length === 0 || pairs.length > streams.names.length * 4)
    throw invalid('no positions, or too many', streams);
  const required: Positions = {};
  for (const [name, value] of pairs) {
    const stream = streams.byName(name);
    if (!stream) throw invalid(`unknown stream "${name.slice(0, 40)}"`, streams);
    const position = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
      throw invalid(`the position of ${stream} is not a stream sequence`, streams);
    }
    required[stream] = Math.max(required[stream] ?? 0, position);
  }
  return required;
}
