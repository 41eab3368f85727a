import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { ApiContext } from './context.ts';
import { projectionsRead } from './read-models.ts';

/**
 * The read-your-writes header: the stream sequences a client's own publishes were acknowledged
 * with, e.g. `X-Vista-Min-Positions: ORDERS=1042,PAYMENTS=77`.
 */
export const MIN_POSITIONS_HEADER = 'x-vista-min-positions';

export function parseMinPositions(header: string): Record<string, number> {
  const required: Record<string, number> = {};
  for (const part of header.split(',')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(\d{1,15})\s*$/.exec(part);
    if (!match) {
      throw createGraphQLError(`${MIN_POSITIONS_HEADER} must look like ORDERS=1042,PAYMENTS=77`, {
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      });
    }
    required[match[1] as string] = Math.max(required[match[1] as string] ?? 0, Number(match[2]));
  }
  return required;
}

/**
 * Before a query runs: waits, when asked, until the projections it reads have reached the
 * client's positions (bounded by `timeoutMs`), and notes their positions. After: adds
 * `extensions.positions` (per projection read, per stream) and `extensions.consistency`.
 * Positions are taken before the data is read, so they never claim more than the answer holds.
 */
export function freshnessPlugin(watcher: CheckpointWatcher, timeoutMs: number): Plugin<ApiContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      const projections = projectionsRead(args.document, args.operationName);
      const header = ctx.request.headers.get(MIN_POSITIONS_HEADER);
      let consistency: Record<string, unknown> | undefined;
      if (header) {
        let required: Record<string, number>;
        try {
          required = parseMinPositions(header);
        } catch (error) {
          setResultAndStopExecution({ errors: [error as Error] as never });
          return;
        }
        const started = performance.now();
        const met = await watcher.waitFor(required, projections, timeoutMs);
        consistency = { required, met, waitedMs: Math.round(performance.now() - started) };
      }
      const positions = Object.fromEntries(projections.map((p) => [p, watcher.current(p)]));
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          setResult({
            ...result,
            extensions: { ...result.extensions, positions, ...(consistency ? { consistency } : {}) },
          });
        },
      };
    },
  };
}
