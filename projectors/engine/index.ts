/**
 * Vista's public face: what an application (its contract, its views, its demo history) and a
 * team's own tests of its views need. Applications import from here only, so the engine can
 * change behind this file. Vista's own API, CLI, tests and benchmarks use `internal.ts`.
 *
 * @example
 *   import { defineApplication, defineContract, defineDocumentProjection, postgresTable } from 'vista';
 */

// The schema library event types and public shapes are written with, re-exported so that an
// application and the engine share one copy: `import { z } from 'vista'`.
export { z } from 'zod';
// The event contract an application gives, and publishing events of it.
export {
  type Contract,
  ContractError,
  defineContract,
  type EventOfContract,
  type EventsOfType,
  type EventTypeName,
  type StreamOf,
} from '../../shared/events/contract.ts';
export { decodeEvent, type IncomingMessage, PoisonEventError } from '../../shared/events/decode.ts';
export { type AnyEvent, type EventOf, type EventType, eventType } from '../../shared/events/event-type.ts';
export { type OutgoingEvent, publishEvent, toEnvelope } from '../../shared/events/publish.ts';
export { type PublishReport, publishMany } from '../../shared/events/publish-many.ts';
export { type StreamDefinition, type Streams, streamsFor } from '../../shared/events/streams.ts';
export type { SubjectShape } from '../../shared/events/subject-shape.ts';
export { type Upcaster, upcaster } from '../../shared/events/upcasters.ts';
/** A seeded PRNG for reproducible demo histories. */
export { Random } from '../../shared/random.ts';
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
  type PoisonPolicy,
  type Projection,
  type Source,
  type SqlContext,
  type SqlProjection,
} from './definition/define.ts';
// What a view serves over GraphQL (its `api` field): the API derives its schema from it.
export type { ColumnType } from './definition/fields/field-kind.ts';
export type { EnumKind, FieldKind, ScalarKind } from './definition/fields/kinds.ts';
export type {
  OrderTerm,
  PublicField,
  PublicRelation,
  PublicShape,
  ShortcutArgument,
} from './definition/public-shape.ts';
export { PublicShapeError } from './definition/public-view.ts';
export { type StartPosition, StartPositionError } from './definition/start-position.ts';
// Where a document projection keeps its documents: one target per store.
export { type ElasticsearchIndexTarget, elasticsearchIndex } from './stores/elasticsearch/target.ts';
export { type PostgresTableTarget, postgresTable } from './stores/postgres/target.ts';
