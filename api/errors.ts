import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError, type YogaServerOptions } from 'graphql-yoga';
import { UnservableValueError } from './schema/scalars.ts';

type MaskedErrors = Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>;

/** The error a resolver's store threw, below any GraphQL wrapping. */
function cause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const inner = (current as { originalError?: unknown } | null)?.originalError;
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** A statement cancelled by statement_timeout, or an Elasticsearch request that timed out. */
function timedOut(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === '57014' || name === 'TimeoutError';
}

/** PostgreSQL or Elasticsearch not answering (connection refused or lost, ES overloaded). */
function unavailable(error: unknown): boolean {
  const { code, name, statusCode } = (error ?? {}) as {
    code?: unknown;
    name?: unknown;
    statusCode?: unknown;
  };
  return (
    name === 'ConnectionError' ||
    name === 'NoLivingConnectionsError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    statusCode === 429 ||
    statusCode === 503
  );
}

/** A failure of the store itself (unreachable, overloaded, timed out), not of what was asked. */
export function storeUnavailable(error: unknown): boolean {
  const original = cause(error);
  return timedOut(original) || unavailable(original) || notBuilt(original);
}

/** A view or index that does not exist yet: the projector has not created it (a fresh install). */
function notBuilt(error: unknown): boolean {
  const { code, meta } = (error ?? {}) as {
    code?: unknown;
    meta?: { body?: { error?: { type?: unknown } } };
  };
  return code === '42P01' || meta?.body?.error?.type === 'index_not_found_exception';
}

/**
 * Elasticsearch refusing a query for its size: more clauses than its `maxClauseCount`, or bool
 * queries nested too deep. What the client asked for is too large, not the server broken.
 */
export function tooManyClauses(error: unknown): boolean {
  const { meta } = (error ?? {}) as { meta?: { statusCode?: unknown; body?: { error?: unknown } } };
  if (meta?.statusCode !== 400 || meta.body?.error === undefined) return false;
  return /too_many_clauses|too_many_nested_clauses|maxClauseCount/.test(JSON.stringify(meta.body.error));
}

/**
 * Errors meant for clients (thrown with createGraphQLError) pass; a timeout, an unreachable
 * store or a view not created yet becomes a short, retryable error with a code (whose words, READ_MODEL_NOT_READY,
 * are the contract clients match on); anything else is "Unexpected error."
 * with no message, stack or cause, whatever NODE_ENV says. The original is logged by yoga.
 */
export function maskedErrors(queryTimeoutMs: number): MaskedErrors {
  return {
    isDev: false,
    maskError(error, message) {
      const original = cause(error);
      // Where in the query it happened (GraphQL's own location fields), never what happened.
      const { nodes, source, positions, path } = error as Partial<GraphQLError>;
      const at = { nodes, source, positions, path };
      if (timedOut(original)) {
        return createGraphQLError(`the read took longer than ${queryTimeoutMs} ms and was cancelled`, {
          ...at,
          extensions: { code: 'QUERY_TIMEOUT' },
        });
      }
      if (unavailable(original)) {
        return createGraphQLError('a read model store is unavailable; retry shortly', {
          ...at,
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        });
      }
      if (tooManyClauses(original)) {
        return createGraphQLError(
          'the filter or search is too large for the search engine; ask with fewer terms',
          {
            ...at,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        );
      }
      if (original instanceof UnservableValueError) {
        return createGraphQLError(original.message, { ...at, extensions: { code: original.code } });
      }
      if (notBuilt(original)) {
        return createGraphQLError('the read model is not built yet; retry shortly', {
          ...at,
          extensions: { code: 'READ_MODEL_NOT_READY' },
        });
      }
      return maskError(error, message, false);
    },
  };
}

// A stall's detail (shared/stall.ts) is Vista's own words, then the owner's detail, if any.
const STALL = /^(no progress for \d+ s with \d+ events of lag \(owner reports [a-z_]+\))(?:: ([\s\S]*))?$/;

// A poison halt's detail begins with its dead letter's code and place: `INVALID_DATA at ORDERS #12: …`.
const DEAD_LETTER_PLACE = /^([A-Z][A-Z0-9_]*) at ([A-Za-z0-9_-]+) #(\d+)\b/;

/**
 * The part of a projection's halt or retry detail that anonymous clients may read: the dead
 * letter's code and place, or Vista's own divergence notice, never the error text of a store
 * or of a view's code (PostgreSQL messages quote values, names and statements). Operators read
 * the whole detail with `vista status` and `vista dead-letters`.
 */
export function publicDetail(detail: string | null): string | null {
  if (detail === null) return null;
  const stalled = STALL.exec(detail);
  if (stalled)
    return stalled[2] === undefined ? (stalled[1] as string) : `${stalled[1]}: ${publicDetail(stalled[2])}`;
  const place = DEAD_LETTER_PLACE.exec(detail);
  if (place) return `${place[1]} at ${place[2]} #${place[3]}; \`vista dead-letters\` shows the error`;
  if (detail.startsWith('diverged: ')) return detail.slice(0, 300);
  return 'a batch failed; `vista status` and the projector log show the error';
}
