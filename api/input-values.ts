import type { ASTVisitor, ValidationContext } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { unstorable } from '../shared/events/storable.ts';

const badInput = (message: string) => createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * Refuses, as `BAD_USER_INPUT`, argument values no store can hold — a string with a NUL
 * (PostgreSQL fails the statement with `invalid byte sequence`), a lone surrogate, a number
 * beyond 2^53 − 1 — whether written in the document or sent as variables. Without it such a
 * value reaches SQL and comes back as an internal error; in a subscription's argument it would
 * fail the shared re-read of every subscriber (see live-query.ts for the second line of defence).
 */
export function storableInputPlugin(): Plugin {
  return {
    onParams({ params, setResult }) {
      const problem = params.variables ? unstorable(params.variables) : undefined;
      if (problem) setResult({ errors: [badInput(`variables: ${problem}`)] });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(
        (context: ValidationContext): ASTVisitor => ({
          StringValue(node) {
            const problem = unstorable(node.value);
            if (problem) {
              context.reportError(
                createGraphQLError(`a string argument ${problem.replace(/^\(root\): /, '')}`, {
                  nodes: [node],
                  extensions: { code: 'BAD_USER_INPUT' },
                }) as never,
              );
            }
          },
        }),
      );
    },
  };
}
