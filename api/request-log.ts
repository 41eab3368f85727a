import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../shared/log.ts';

/** One structured log line per HTTP request: method, path, status and duration. */
export function requestLogPlugin(log: Logger): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const began = started.get(request);
      log.info(
        {
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          ms: began === undefined ? undefined : Math.round(performance.now() - began),
        },
        'request',
      );
    },
  };
}
