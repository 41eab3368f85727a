import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, ViewReader } from '../projectors/engine/internal.ts';
import type { Logger } from '../shared/log.ts';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';
import type { RequestLoaders } from './derive/readers.ts';
import type { LiveQuery, LiveValue } from './live-query.ts';
import type { Operator } from './operator.ts';
import type { Projection, StreamClock } from './projection-status.ts';
import type { RequestStores } from './request-stores.ts';

/** The process-wide readers behind subscriptions: one read per commit for all subscribers. */
export interface LiveFeeds {
  /** Per served view, by view name: its nodes by key (JSON of the key values). */
  readonly views: ReadonlyMap<string, LiveQuery<string, Node | null>>;
  readonly projections: LiveQuery<'all', Projection[]>;
}

/** What every resolver may use: the request's share of the stores, per-request loaders, live feeds. */
export type ApiContext = {
  readonly request: Request;
  /** PostgreSQL and Elasticsearch as this request may use them: a few reads at a time, a read budget. */
  readonly stores: RequestStores;
  /** Per served view, its reader on this request's stores. */
  readonly readers: ReadonlyMap<string, ViewReader>;
  readonly log: Logger;
  readonly watcher: CheckpointWatcher;
  /** Stream heads, for lag; undefined when NATS is unreachable. */
  readonly streamHeads: () => Promise<Record<string, number> | undefined>;
  readonly feeds: LiveFeeds;
  /** Undefined when NATS cannot be asked: lag in seconds and stalls are then unknown. */
  readonly clock: StreamClock | undefined;
  /** Operator actions (rebuild, retry, skip) and who may take them. */
  readonly operator: Operator;
  /** Per request, batching each kind of lookup into one query (no N+1). */
  readonly loaders: RequestLoaders;
  /** Every projection, read at most once per request however many fields (aliases) ask. */
  readonly projections: () => Promise<Projection[]>;
  /** A subscription's projections, and the positions its latest event was read at. */
  readonly liveEvent: { projections: readonly string[]; positions?: LiveValue<unknown>['positions'] };
};

/** What Node's HTTP server hands graphql-yoga with every request. */
export type ServerContext = { req: IncomingMessage; res: ServerResponse };
