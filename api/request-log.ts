import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin, YogaServerOptions } from 'graphql-yoga';
import type { Logger } from '../shared/log.ts';

/**
 * One structured log line per GraphQL request: method, path, operation, status and duration.
 * (Subscriptions log when their stream opens; /healthz and /readyz are not logged.)
 */
export function requestLogPlugin(log: Logger): Plugin {
  const started = new WeakMap<Request, number>();
  const operations = new WeakMap<Request, string>();
  const name = (request: Request, document: DocumentNode, operationName?: string | null) => {
    const operation = getOperationAST(document, operationName)?.name?.value;
    if (operation) operations.set(request, operation.slice(0, 100));
  };
  return {
    onRequest({ request }) {
      // Below `info` the line would be dropped anyway: build nothing for it (the level is read
      // per request, so a level changed at run time takes effect at once).
      if (log.isLevelEnabled('info')) started.set(request, performance.now());
    },
    onExecute({ args }) {
      if (started.has(args.contextValue.request))
        name(args.contextValue.request, args.document, args.operationName);
    },
    onSubscribe({ args }) {
      if (started.has(args.contextValue.request))
        name(args.contextValue.request, args.document, args.operationName);
    },
    onResponse({ request, response }) {
      const began = started.get(request);
      if (began === undefined) return;
      log.info(
        {
          method: request.method,
          path: new URL(request.url).pathname,
          operation: operations.get(request),
          status: response.status,
          ms: Math.round(performance.now() - began),
        },
        'request',
      );
    },
  };
}

type YogaLogging = Exclude<YogaServerOptions<object, object>['logging'], boolean | string | undefined>;

/** yoga's own messages through pino; an error (e.g. one masked from a client) keeps its stack here. */
export function yogaLogger(log: Logger): YogaLogging {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error);
      const rest = args.filter((arg) => arg !== error);
      log[level]({ ...(error ? { err: error } : {}), ...(rest.length ? { args: rest } : {}) }, 'yoga');
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
