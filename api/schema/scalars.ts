import { Kind } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

export const scalarTypeDefs = /* GraphQL */ `
  "A whole number up to 2^53 - 1, as a JSON number: money in cents and counts that can outgrow GraphQL's 32-bit Int."
  scalar Long
`;

function toLong(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw createGraphQLError(
    `Long must be a whole number between -(2^53 - 1) and 2^53 - 1, got ${JSON.stringify(value)}`,
    {
      extensions: { code: 'BAD_USER_INPUT' },
    },
  );
}

/** The `Long` scalar as a plain config object (no GraphQLScalarType instance across graphql builds). */
export const scalarResolvers = {
  Long: {
    name: 'Long',
    serialize: toLong,
    parseValue: toLong,
    parseLiteral: (ast: { kind: string; value?: string }) => {
      if (ast.kind !== Kind.INT) throw createGraphQLError('Long must be an integer literal');
      return toLong(Number(ast.value));
    },
  },
};
