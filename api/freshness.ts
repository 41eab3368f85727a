import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { nextTurn, type Positions } from '../projectors/engine/internal.ts';
import type { Streams } from '../shared/events/streams.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { ApiContext } from './context.ts';
import type { FilteredSources } from './filtered-sources.ts';
import { MIN_POSITIONS_HEADER, parseMinPositions } from './min-positions.ts';
import type { ReadsIndex } from './reads-index.ts';
import { Slots } from './request-stores.ts';

/** What a read-your-writes request is told in `extensions.consistency`. */
export interface Consistency {
  /** The positions the client asked for, per stream. */
  readonly required: Readonly<Positions>;
  /** The projections the query reads, which had to reach them. */
  readonly projections: readonly string[];
  /**
   * True when all of them had, before the data was read; false after `timeoutMs`, and at once
   * when one of them is halted (see `halted`).
   */
  readonly met: boolean;
  /** Those of `projections` that are halted (a poison event, or diverged): they move no more. */
  readonly halted: readonly string[];
  readonly waitedMs: number;
  readonly timeoutMs: number;
}

/**
 * How many requests that waited (for positions, or until the timeout) may execute at once.
 * Waiters end together — 1,000 of them woken by one commit, or timing out within the moment
 * they arrived in — and ran all at once: every connection of the pool and the event loop were
 * theirs, and another client's probe waited 0.4 to 0.8 s. Resumed eight at a time, they hold at
 * most 8 of the pool's 20 connections, and a request that did not wait is answered between them.
 */
const RESUMING = 8;

function withExtensions(result: ExecutionResult, extensions: Record<string, unknown>): ExecutionResult {
  return { ...result, extensions: { ...result.extensions, ...extensions } };
}

/**
 * Freshness of every answer. Before a query runs: when the request carries
 * `X-Vista-Min-Positions`, waits (up to `timeoutMs`, woken by the process's CheckpointWatcher,
 * never polling) until the projections the query reads have reached those positions; then
 * notes their positions. After: adds `extensions.positions` (per projection read, per stream)
 * and `extensions.consistency`. Positions are taken before the data is read, so they never
 * claim more than the answer holds. Subscription events carry the positions they were read at.
 */
export function freshnessPlugin(
  watcher: CheckpointWatcher,
  streams: Streams,
  timeoutMs: number,
  reads: ReadsIndex,
  filtered?: FilteredSources,
): Plugin<ApiContext> {
  const resuming = new Slots(RESUMING);
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      const projections = reads.projectionsRead(args.document, args.operationName);
      const header = ctx.request.headers.get(MIN_POSITIONS_HEADER);
      let consistency: Consistency | undefined;
      let release: (() => void) | undefined;
      if (header !== null) {
        let required: Positions;
        try {
          required = parseMinPositions(header, streams);
        } catch (error) {
          setResultAndStopExecution({ errors: [error as never] });
          return;
        }
        const started = performance.now();
        const { met, halted } = await watcher.waitFor(
          required,
          projections,
          timeoutMs,
          ctx.request.signal,
          filtered,
        );
        release = await resuming.acquire();
        // Given back when the result is done, or at the latest when the client goes away
        // (listened for at once: a client gone during the turn below must not keep the slot).
        ctx.request.signal.addEventListener('abort', release, { once: true });
        // A finishing request hands its slot over within its own callback, so its successor
        // ran before the event loop read the requests that had arrived meanwhile; after a turn
        // of the loop, those are read first. While 1,000 waiters timed out
        // (api-priced-work.test.ts under load 7-9, four alternated pairs), another client's
        // probes over 100 ms went from 8, 1, 5, 5 to 3, 0, 1, 0, the worst from 137-237 ms to
        // 76-148. (Eight at a time, not fewer: a resumed request holds its slot through its
        // read, so fewer would cap read-your-writes answers.)
        await nextTurn();
        const waitedMs = Math.round(performance.now() - started);
        consistency = {
          required,
          projections,
          met,
          halted,
          waitedMs,
          timeoutMs,
        };
      }
      const positions = watcher.snapshot(projections);
      return {
        onExecuteDone({ result, setResult }) {
          release?.();
          if (Symbol.asyncIterator in result) return;
          setResult(withExtensions(result, { positions, ...(consistency ? { consistency } : {}) }));
        },
      };
    },
    onSubscribe({ args }) {
      const ctx = args.contextValue;
      ctx.liveEvent.projections = reads.projectionsRead(args.document, args.operationName);
      return {
        onSubscribeResult() {
          return {
            onNext({ result, setResult }) {
              setResult(withExtensions(result, { positions: ctx.liveEvent.positions ?? {} }));
            },
          };
        },
      };
    },
  };
}
