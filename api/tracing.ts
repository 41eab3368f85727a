import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { tracer } from '../shared/tracing.ts';

/**
 * A span per GraphQL operation (queries and mutations), recording what the answer is as fresh
 * as: `vista.positions`, the positions of the projections it read (the same as
 * `extensions.positions`), and whether a read-your-writes wait was met. Listed after the
 * freshness plugin, so it sees the positions that plugin adds. Without a tracing SDK the
 * spans are no-ops.
 */
export function tracingPlugin(): Plugin {
  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value;
      const span = tracer().startSpan(`graphql.${type}${name ? ` ${name}` : ''}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'graphql.operation.type': type,
          ...(name ? { 'graphql.operation.name': name.slice(0, 100) } : {}),
        },
      });
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) && !('data' in result)) {
            span.end();
            return;
          }
          const extensions = (result.extensions ?? {}) as {
            positions?: unknown;
            consistency?: { met?: boolean };
          };
          if (extensions.positions)
            span.setAttribute('vista.positions', JSON.stringify(extensions.positions));
          if (extensions.consistency?.met !== undefined) {
            span.setAttribute('vista.consistency.met', extensions.consistency.met);
          }
          if (result.errors?.length) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0]?.message ?? 'error' });
          }
          span.end();
        },
      };
    },
  };
}
