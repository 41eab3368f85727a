import { createGraphQLError } from 'graphql-yoga';
import {
  type DeadLetterPreview,
  readDeadLetter,
  readDeadLetterPreviews,
} from '../../projectors/engine/internal.ts';
import type { ApiContext } from '../context.ts';
import type { Projection } from '../projection-status.ts';
import { countArgument } from './operator.ts';

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

/**
 * Bytes as UTF-8 text; a character cut in two at the end of a preview is left out rather than
 * shown as U+FFFD (a streaming decoder keeps an incomplete trailing sequence to itself).
 */
function text(bytes: Uint8Array, cut: boolean): string {
  return new TextDecoder('utf-8').decode(bytes, { stream: cut });
}

function letter(row: DeadLetterPreview, operator: boolean) {
  const truncated = row.payload.length < row.payloadBytes;
  return {
    id: String(row.id),
    stream: row.stream,
    sequence: row.sequence,
    subject: row.subject,
    type: row.type ?? null,
    errorCode: row.errorCode,
    // Code and place, as a halted projection's public detail says them.
    error: operator ? row.error : `${row.errorCode} at ${row.stream} #${row.sequence}`,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    retryRequested: row.retryRequested,
    payload: text(row.payload, truncated),
    payloadBytes: row.payloadBytes,
    payloadTruncated: truncated,
  };
}

const badId = () =>
  createGraphQLError('id must be a dead letter id', { extensions: { code: 'BAD_USER_INPUT' } });

export const deadLettersResolvers = {
  Projection: {
    deadLetters: async (projection: Projection, args: { first: number }, ctx: ApiContext) => {
      // The live generation's letters: a rebuild has its own (and retired ones are history).
      const letters = await readDeadLetterPreviews(
        ctx.stores.pool,
        projection.name,
        projection.generation,
        countArgument(args.first, 100),
        PREVIEW_BYTES,
      );
      const operator = ctx.operator.allowed(ctx.request);
      return letters.map((row) => letter(row, operator));
    },
  },
  Query: {
    deadLetter: async (_: unknown, args: { projection: string; id: string }, ctx: ApiContext) => {
      if (!/^[1-9][0-9]{0,15}$/.test(args.id) || !Number.isSafeInteger(Number(args.id))) throw badId();
      const operator = ctx.operator.allowed(ctx.request);
      // The whole payload for an operator only.
      const row = await readDeadLetter(
        ctx.stores.pool,
        args.projection,
        Number(args.id),
        operator ? null : PREVIEW_BYTES,
      );
      return row ? letter(row, operator) : null;
    },
  },
};
