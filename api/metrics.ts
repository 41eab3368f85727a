import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** Distinct operation names kept as label values; beyond them an operation is `other`. */
const MAX_OPERATIONS = 100;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * `vista_api_request_duration_seconds` by operation (its name; `anonymous` without one) and
 * type, from the request's arrival to its response, read-your-writes waits included.
 * Operation names come from clients: the first MAX_OPERATIONS distinct ones are labels, the
 * rest are `other`, so a client cannot grow the series without bound. Subscriptions are not
 * timed (their response is a stream that lasts as long as the client wants).
 */
export function requestMetricsPlugin(registry: Registry): Plugin {
  const histogram = new Histogram({
    name: 'vista_api_request_duration_seconds',
    help: 'GraphQL request duration from arrival to response, by operation.',
    labelNames: ['operation', 'type', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const known = new Set<string>();
  const started = new WeakMap<Request, number>();
  const operations = new WeakMap<Request, { operation: string; type: string }>();
  const name = (request: Request, document: DocumentNode, operationName?: string | null) => {
    const ast = getOperationAST(document, operationName);
    let operation = ast?.name?.value ?? 'anonymous';
    if (!NAME.test(operation)) operation = 'other';
    else if (!known.has(operation)) {
      if (known.size < MAX_OPERATIONS) known.add(operation);
      else operation = 'other';
    }
    operations.set(request, { operation, type: ast?.operation ?? 'unknown' });
  };
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onExecute({ args }) {
      name(args.contextValue.request, args.document, args.operationName);
    },
    onSubscribe({ args }) {
      name(args.contextValue.request, args.document, args.operationName);
    },
    onResponse({ request, response }) {
      const began = started.get(request);
      const operation = operations.get(request) ?? { operation: 'none', type: 'none' };
      if (began === undefined || operation.type === 'subscription') return;
      histogram.observe(
        { ...operation, status: String(response.status) },
        (performance.now() - began) / 1000,
      );
    },
  };
}

/**
 * `vista_api_consistency_waits`: requests waiting for the positions their
 * X-Vista-Min-Positions header asked for, now (each holds a socket and a timer, nothing more).
 */
export function registerConsistencyWaits(registry: Registry, waiting: () => number): void {
  new Gauge({
    name: 'vista_api_consistency_waits',
    help: 'Requests waiting for the positions they asked for (read-your-writes).',
    registers: [registry],
    collect() {
      this.set(waiting());
    },
  });
}
