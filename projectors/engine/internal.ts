/**
 * Vista's internal face: the public face (`index.ts`) and what Vista's own processes, tests and
 * benchmarks need of the engine besides: the API (readers, field kinds, status readers), the
 * `vista` CLI and the projector process (host, leases, infrastructure, commands), and the
 * building blocks tests and benchmarks take apart. Applications never import it; nothing here
 * is a promise to them.
 */

// The catalog, its checkpoints and generations.
export { type CheckpointNotice, parseCheckpointNotice } from './commit/checkpoint-notice.ts';
export { CHECKPOINT_CHANNEL, readCheckpoint, StaleCheckpointError } from './commit/checkpoint-store.ts';
export { hasReached, type Positions } from './commit/positions.ts';
export { type CheckpointMove, commitUnitOfWork, Statements } from './commit/unit-of-work.ts';
export { fairShare, toRelease, type Unit } from './control/balance.ts';
// Running projections: the engine's dependencies, the host, a single generation's runner.
export { executeCommand, serveCommands } from './control/commands.ts';
export { type EngineDeps, engineDeps, readerThreadFor, storeContext } from './control/engine-deps.ts';
export { generationRunner, runnerFor } from './control/generation-runner.ts';
export { ProjectionHost } from './control/host.ts';
export { requestRetry } from './control/operator-requests.ts';
export { progressLine, RebuildHaltedError, rebuild } from './control/rebuild.ts';
// What a view serves, as the API derives it: field kinds, operators, queries.
export type { CursorType } from './definition/fields/field-kind.ts';
export { filterTypeDefs, kindOf } from './definition/fields/kinds.ts';
export { MAX_IN_VALUES, operatorNamed } from './definition/fields/operators.ts';
export { InvalidInputError, type Value } from './definition/fields/values.ts';
export {
  ApplicationLoadError,
  applicationModulePath,
  applicationSpecOrExit,
  loadApplication,
  loadApplicationOrExit,
} from './definition/load-application.ts';
export { partitionScope } from './definition/partition-scope.ts';
export {
  AggregateKeyError,
  MAX_PARTITIONS,
  PartitionKeyError,
  partitionOf,
  partitionsOf,
  workloadOf,
} from './definition/partitions.ts';
export { camelCase, pascalCase, snakeCase } from './definition/public-shape.ts';
export {
  checkRelations,
  type DerivedField,
  type DerivedView,
  deriveView,
  queryFields,
  type ShapeStorage,
  sqlViewLayout,
  tieBreakers,
  viewOf,
} from './definition/public-view.ts';
export {
  type Condition,
  encodeCursor,
  type PageRequest,
  readCursor,
  type SortTerm,
} from './definition/query.ts';
export { readRecordedApplication, recordApplication } from './definition/recorded-application.ts';
export { servedViews } from './definition/served-views.ts';
export { describeStart, parseStartPosition } from './definition/start-position.ts';
export {
  fromBeginning,
  type Generation,
  type GenerationRole,
  type RunningRole,
  readGenerations,
  reconcileGenerations,
  requestRebuild,
} from './generations/generations.ts';
export { PartitionCountError, partitionCountConflicts } from './generations/partition-counts.ts';
export { switchGeneration } from './generations/switch.ts';
export * from './index.ts';
export { assertFence, type Fence, type HeldFence, LeaseLostError, StoreAheadError } from './leases/fence.ts';
export { type Lease, LeaseManager, leaseOwners } from './leases/lease.ts';
// The pipeline's building blocks, for benchmarks that time its stages and tests of one runner.
export { BATCH_TIMELINE, type BatchTiming } from './pipeline/batch-timeline.ts';
export { DocumentCache } from './pipeline/document-cache.ts';
export { foldBatch, type Stored } from './pipeline/fold.ts';
export { ProjectionRunner } from './pipeline/runner.ts';
export { documentWriter, type UnitOfWork } from './pipeline/writer.ts';
export { storeDeadLetterCap } from './poison/dead-letters.ts';
export { MAX_STRETCH } from './source/batcher.ts';
export { deliveryFellBack } from './source/delivery.ts';
export { HeaderBlock, headersFellBack } from './source/header-block.ts';
export {
  addressOf,
  type RawMessage,
  readOrdered,
  StreamGapError,
  subjectsOf,
} from './source/ordered-source.ts';
export { ReaderThread } from './source/reader-thread/client.ts';
export { lagAfter } from './source/stream-checks.ts';
// Status: one reporter writes it, these read it (the CLI, the metrics, the API).
export {
  type CurrentGeneration,
  type LivePositions,
  readCurrentGenerations,
  readHaltedLive,
  readLivePositions,
} from './status/current-generations.ts';
export { registerDeadLetterMetrics } from './status/dead-letter-metrics.ts';
export {
  type DeadLetterPreview,
  describeNotKept,
  listDeadLetters,
  listNotKept,
  readDeadLetter,
  readDeadLetterPreviews,
} from './status/dead-letter-reads.ts';
export { readActions, readGenerationHistory, readStatusChanges } from './status/history.ts';
export { registerProjectionMetrics, type StoredStatus } from './status/metrics.ts';
export { recordStatus } from './status/reporter.ts';
export {
  readStatus,
  type StatusReader,
  type StatusReport,
  statusReader,
} from './status/status-reader.ts';
// Stores: their reads (the API's), their targets' derived storage, their generations.
export type { Connection, Node } from './stores/connection.ts';
export { elasticsearchAlias } from './stores/elasticsearch/alias.ts';
export { ElasticsearchGeneration } from './stores/elasticsearch/index-generation.ts';
export { ElasticsearchViewReader } from './stores/elasticsearch/reads.ts';
export { replaceView } from './stores/postgres/replace-view.ts';
export { PostgresGeneration } from './stores/postgres/table-generation.ts';
export { tableColumns } from './stores/postgres/target.ts';
export { generationOf, readerOf } from './stores/registry.ts';
export type { ReadStores, SearchReads, ViewReader } from './stores/store.ts';
export { nextTurn } from './support/event-loop.ts';
export { type Infrastructure, openInfrastructure } from './support/infrastructure.ts';
export type { SqlReads } from './support/sql-reads.ts';
export * from './testing/face.ts';
export { freePort } from './testing/installation.ts';
