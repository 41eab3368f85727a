import { Kind } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

export const scalarTypeDefs = /* GraphQL */ `
  "A whole number up to 2^53 - 1, as a JSON number: money in cents and counts that can outgrow GraphQL's 32-bit Int."
  scalar Long

  "A calendar day, as YYYY-MM-DD."
  scalar Date
`;

const RANGE = 'a whole number between -(2^53 - 1) and 2^53 - 1';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: unknown): string {
  if (typeof value === 'string' && DAY.test(value)) {
    const time = Date.parse(`${value}T00:00:00Z`);
    // 2026-02-30 parses as March 2nd: a real day prints back as itself.
    if (!Number.isNaN(time) && new Date(time).toISOString().startsWith(value)) return value;
  }
  throw createGraphQLError(`Date must be a day as YYYY-MM-DD, got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

function parseLong(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw createGraphQLError(`Long must be ${RANGE}, got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * A stored value the API cannot serve exactly. Deliberately not a GraphQLError: the executor
 * turns those thrown by `serialize` into plain errors (masked as internal); this class survives
 * as the cause, and errors.ts shows it as a field error with the code VALUE_OUT_OF_RANGE.
 */
export class UnservableValueError extends Error {
  readonly code = 'VALUE_OUT_OF_RANGE';
}

/**
 * A stored value beyond 2^53 − 1 (a sum that outgrew its events) has no exact JSON number: it is
 * a field error on that row, not an internal error for the response.
 */
function serializeLong(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new UnservableValueError(`the stored value is not ${RANGE} and cannot be served exactly`);
}

/** The `Long` scalar as a plain config object (no GraphQLScalarType instance across graphql builds). */
export const scalarResolvers = {
  Long: {
    name: 'Long',
    serialize: serializeLong,
    parseValue: parseLong,
    parseLiteral: (ast: { kind: string; value?: string }) => {
      if (ast.kind !== Kind.INT) {
        throw createGraphQLError('Long must be an integer literal', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      return parseLong(Number(ast.value));
    },
  },
  Date: {
    name: 'Date',
    serialize: toDate,
    parseValue: toDate,
    parseLiteral: (ast: { kind: string; value?: string }) => {
      if (ast.kind !== Kind.STRING) throw createGraphQLError('Date must be a string literal, YYYY-MM-DD');
      return toDate(ast.value);
    },
  },
};
