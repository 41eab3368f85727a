/**
 * Vista's public face: everything an application, a benchmark or a team's own tests need.
 * Applications import from here, never from the engine's internals, so the engine can change
 * behind this file.
 */

// The event contract an application gives.
export {
  type Contract,
  ContractError,
  defineContract,
  type EventOfContract,
  type EventsOfType,
  type EventTypeName,
  type StreamOf,
} from '../../shared/events/contract.ts';
export { decodeEvent, PoisonEventError } from '../../shared/events/decode.ts';
export { type AnyEvent, type EventOf, type EventType, eventType } from '../../shared/events/event-type.ts';
export { type OutgoingEvent, publishEvent, toEnvelope } from '../../shared/events/publish.ts';
export { type PublishReport, publishMany } from '../../shared/events/publish-many.ts';
export { type StreamDefinition, type Streams, streamsFor } from '../../shared/events/streams.ts';
export { type Upcaster, upcaster } from '../../shared/events/upcasters.ts';
/** A seeded PRNG for reproducible demo histories. */
export { Random } from '../../shared/random.ts';
// Operator actions (the console's and the CLI's), executed by a projector process.
export { executeCommand, serveCommands } from './control/commands.ts';
// Running them, and the operators' commands.
export { type EngineDeps, engineDeps } from './control/engine-deps.ts';
export { generationRunner, runnerFor } from './control/generation-runner.ts';
export { ProjectionHost } from './control/host.ts';
export { progressLine, RebuildHaltedError, rebuild } from './control/rebuild.ts';
// Applications and their projections.
export {
  type Application,
  ApplicationError,
  type DemoOptions,
  defineApplication,
} from './definition/application.ts';
export {
  DefinitionError,
  type DocumentProjection,
  type DocumentTarget,
  defineDocumentProjection,
  defineSqlProjection,
  type Lookup,
  type Projection,
  type Source,
  type SqlContext,
  type SqlProjection,
} from './definition/define.ts';
// What a view serves over GraphQL (its `api` field), and what the API derives from it.
export type { EnumKind, FieldKind, ScalarKind } from './definition/fields/kinds.ts';
export {
  ApplicationLoadError,
  loadApplication,
  loadApplicationOrExit,
} from './definition/load-application.ts';
export type {
  OrderTerm,
  PublicField,
  PublicRelation,
  PublicShape,
  ShortcutArgument,
} from './definition/public-shape.ts';
export { snakeCase } from './definition/public-shape.ts';
export { PublicShapeError } from './definition/public-view.ts';
export { LeaseManager } from './leases/lease.ts';
// Building blocks, for benchmarks that time the engine's stages and for custom hosts.
export { foldBatch, type Stored } from './pipeline/fold.ts';
export { ProjectionRunner } from './pipeline/runner.ts';
export { readOrdered } from './source/ordered-source.ts';
export { describeStart, parseStartPosition, type StartPosition } from './source/start-positions.ts';
export { registerProjectionMetrics, type StoredStatus } from './status/metrics.ts';
export {
  type ProjectionStatus,
  readStatus,
  type StatusReader,
  statusReader,
} from './status/status-reader.ts';
export { type ElasticsearchIndexTarget, elasticsearchIndex } from './stores/elasticsearch/target.ts';
export { type PostgresTableTarget, postgresTable, tableColumns } from './stores/postgres/target.ts';
export { type Infrastructure, openInfrastructure } from './support/infrastructure.ts';
// Testing views the way Vista tests its own.
export {
  eventually,
  freePort,
  type Installation,
  isolatedInstallation,
  waitForLiveViews,
} from './testing/installation.ts';
export { applySqlProjection, type Equal, foldDocuments, spec, sqlSpec } from './testing/spec.ts';
