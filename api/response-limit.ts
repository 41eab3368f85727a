import type { ExecutionResult } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { jsonBytes } from './answer-size.ts';
import type { ApiContext } from './context.ts';

/**
 * How much a request may read from the stores, as JSON bytes, for an answer of at most
 * `maxResponseBytes`: rows carry columns the query did not select, so reads get room to spare.
 */
export function readBudget(maxResponseBytes: number): number {
  return 4 * maxResponseBytes;
}

/**
 * No answer larger than `maxBytes` (MAX_RESPONSE_BYTES) leaves the API: a query's result, and
 * each event of a subscription, is measured (jsonBytes, stopping at the bound) before it is
 * serialised, and one over the bound is replaced by a RESPONSE_TOO_LARGE error. Without it a
 * subscription asking for 100 dead letters of 1 MB built a string past V8's limit in yoga's
 * SSE serializer (`RangeError: Invalid string length`, uncaught) and took the process down.
 * The reads behind an answer are bounded before it is built (request-stores.ts).
 */
export function responseLimitPlugin(maxBytes: number): Plugin<ApiContext> {
  const bounded = (result: ExecutionResult, setResult: (result: ExecutionResult) => void) => {
    if (jsonBytes(result, maxBytes) <= maxBytes) return;
    setResult({
      data: null,
      errors: [
        createGraphQLError(
          `the answer would be larger than ${maxBytes} bytes (MAX_RESPONSE_BYTES); ask for fewer items or fields, or page`,
          { extensions: { code: 'RESPONSE_TOO_LARGE' } },
        ),
      ],
      ...(result.extensions ? { extensions: result.extensions } : {}),
    });
  };
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) bounded(result, setResult);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult() {
          return {
            onNext({ result, setResult }) {
              bounded(result, setResult);
            },
          };
        },
      };
    },
  };
}
