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
// Applications and their projections.
export { type Application, ApplicationError, type DemoOptions, defineApplication } from './application.ts';
export {
  DefinitionError,
  type DocumentProjection,
  defineDocumentProjection,
  defineSqlProjection,
  type ElasticsearchIndexTarget,
  elasticsearchIndex,
  type Lookup,
  type PostgresTableTarget,
  type Projection,
  postgresTable,
  type SqlContext,
  type SqlProjection,
} from './define.ts';
// Running them, and the operators' commands.
export { ProjectionHost } from './host.ts';
export { type Infrastructure, openInfrastructure, runnerDeps } from './infrastructure.ts';
export { LeaseManager } from './lease.ts';
export { ApplicationLoadError, loadApplication, loadApplicationOrExit } from './load-application.ts';
export { progressLine, RebuildHaltedError, rebuild } from './rebuild.ts';
export type { RunnerDeps } from './runner.ts';
// Testing views the way Vista tests its own.
export { foldDocuments, spec } from './spec.ts';
export { type ProjectionStatus, readStatus } from './status.ts';
