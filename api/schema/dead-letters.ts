import { createGraphQLError } from 'graphql-yoga';
import type { ApiContext } from '../context.ts';
import { countArgument } from './operator.ts';
import type { Projection } from './projections.ts';

/**
 * Dead letters as the API serves them. A payload is whatever a publisher sent, up to the
 * broker's largest message: a list of them whole (100 letters of 1 MB) made the API build an
 * answer of hundreds of MB and crash its SSE serializer. So a list carries each payload's first
 * PREVIEW_BYTES only, cut in SQL (the rest never leaves PostgreSQL), for everyone; an operator
 * reads one whole payload at a time with `deadLetter(projection, id)`. The error's text (a store's
 * message may quote values, names and statements) is for operators too.
 */
export const PREVIEW_BYTES = 1024;

export const deadLettersTypeDefs = /* GraphQL */ `
  "An event a projection could not apply, kept with what is needed to retry it after a fix."
  type DeadLetter {
    "Its id (for skipDeadLetter)."
    id: ID!
    "The stream it came from."
    stream: String!
    "Its sequence in that stream."
    sequence: Long!
    "Its NATS subject."
    subject: String!
    "Its CloudEvents type, when it could be read."
    type: String
    "Why it failed, as a code (e.g. INVALID_DATA, HANDLER_FAILED)."
    errorCode: String!
    """
    Why it failed: the error's text for an operator (Authorization: Bearer <OPERATOR_TOKEN>);
    for anyone else its code and place (INVALID_DATA at ORDERS #12), never a store's message.
    """
    error: String!
    "How often it has failed."
    attempts: Int!
    "When it last failed (ISO-8601)."
    createdAt: String!
    "Whether a retry was asked for and has not run yet."
    retryRequested: Boolean!
    """
    The message as UTF-8 text (untrusted: whatever a publisher sent). In lists, and for anyone
    but an operator, only its first ${PREVIEW_BYTES} bytes (payloadTruncated says whether it was
    cut); whole only from Query.deadLetter, one letter at a time, for an operator.
    """
    payload: String!
    "The message's size in bytes."
    payloadBytes: Int!
    "True when payload holds only the beginning of the message."
    payloadTruncated: Boolean!
  }

  extend type Projection {
    "Its unresolved dead letters, oldest position first (each payload cut to its first ${PREVIEW_BYTES} bytes)."
    deadLetters("At most this many (1 to 100)." first: Int = 50): [DeadLetter!]!
  }

  extend type Query {
    """
    One dead letter of a projection by id, resolved or not (null when there is none): with its
    whole payload for an operator, as in Projection.deadLetters for anyone else.
    """
    deadLetter("The projection." projection: String!, "The dead letter's id." id: ID!): DeadLetter
  }
`;

interface Row {
  id: string;
  stream: string;
  sequence: number;
  subject: string;
  type: string | null;
  error_code: string;
  error: string;
  attempts: number;
  created_at: Date;
  retry_requested_at: Date | null;
  payload: Buffer;
  payload_bytes: number;
}

/** The columns of a letter, its payload cut to `bytes` (in SQL: the rest is never read). */
const columns = (bytes: string) =>
  `id, stream, sequence, subject, type, error_code, error, attempts, created_at, retry_requested_at,
   substring(payload FROM 1 FOR ${bytes}) AS payload, octet_length(payload) AS payload_bytes`;

/**
 * Bytes as UTF-8 text; a character cut in two at the end of a preview is left out rather than
 * shown as U+FFFD (a streaming decoder keeps an incomplete trailing sequence to itself).
 */
function text(bytes: Buffer, cut: boolean): string {
  return new TextDecoder('utf-8').decode(bytes, { stream: cut });
}

function letter(row: Row, operator: boolean) {
  const truncated = row.payload.length < row.payload_bytes;
  return {
    id: String(row.id),
    stream: row.stream,
    sequence: row.sequence,
    subject: row.subject,
    type: row.type,
    errorCode: row.error_code,
    // Code and place, as a halted projection's public detail says them.
    error: operator ? row.error : `${row.error_code} at ${row.stream} #${row.sequence}`,
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    retryRequested: row.retry_requested_at !== null,
    payload: text(row.payload, truncated),
    payloadBytes: row.payload_bytes,
    payloadTruncated: truncated,
  };
}

const badId = () =>
  createGraphQLError('id must be a dead letter id', { extensions: { code: 'BAD_USER_INPUT' } });

export const deadLettersResolvers = {
  Projection: {
    deadLetters: async (projection: Projection, args: { first: number }, ctx: ApiContext) => {
      const { rows } = await ctx.stores.pool.query<Row>(
        `SELECT ${columns('$4::int')} FROM vista_dead_letters
          WHERE projection = $1 AND generation = $3 AND resolved_at IS NULL
          ORDER BY stream, sequence LIMIT $2`,
        // The live generation's letters: a rebuild has its own (and retired ones are history).
        [projection.name, countArgument(args.first, 100), projection.generation, PREVIEW_BYTES],
      );
      const operator = ctx.operator.allowed(ctx.request);
      return rows.map((row) => letter(row, operator));
    },
  },
  Query: {
    deadLetter: async (_: unknown, args: { projection: string; id: string }, ctx: ApiContext) => {
      if (!/^[1-9][0-9]{0,15}$/.test(args.id) || !Number.isSafeInteger(Number(args.id))) throw badId();
      const operator = ctx.operator.allowed(ctx.request);
      // NULL: the whole payload, for an operator only.
      const { rows } = await ctx.stores.pool.query<Row>(
        `SELECT ${columns('coalesce($3::int, octet_length(payload))')} FROM vista_dead_letters
          WHERE projection = $1 AND id = $2`,
        [args.projection, Number(args.id), operator ? null : PREVIEW_BYTES],
      );
      const row = rows[0];
      return row ? letter(row, operator) : null;
    },
  },
};
