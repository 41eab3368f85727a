import type { z } from 'zod';
import type { EventOf, EventType } from './event-type.ts';
import { type StreamDefinition, subjectMatches } from './streams.ts';
import { DEFAULT_SUBJECT_SHAPE, type TypeSubject, typeSubject } from './subject-shape.ts';
import type { Upcaster } from './upcasters.ts';

/**
 * What an application hands Vista about its events: its streams, the current version of each
 * event type (what handlers see), older versions still on the streams, and the upcasters that
 * lift them. Vista itself knows no event.
 */
export interface Contract<E extends EventType = EventType, N extends string = string> {
  readonly streams: readonly StreamDefinition<N>[];
  /** The current version of each event type: what projections handle. */
  readonly events: readonly E[];
  /** Older versions still found on the streams; upcasters lift them to a current type. */
  readonly legacy: readonly EventType[];
  readonly upcasters: readonly Upcaster[];
  /** Every event type, current and legacy, by its `type`. */
  readonly types: ReadonlyMap<string, EventType>;
  /** The upcasters by the type they start from. */
  readonly upcastersFrom: ReadonlyMap<string, Upcaster>;
  /**
   * The NATS subject of an event of `type` about `aggregateId`, by the shape its event type or
   * its stream declares (`<context>.<event>.<aggregateId>` by default), without a namespace.
   */
  subjectOf(type: string, aggregateId: string): string;
  /**
   * The aggregate id a NATS subject (without namespace) of `stream` holds, read without
   * decoding the message: when the subject shapes of the stream's types (current and legacy)
   * that match it all read the same id from it; undefined when none does, when they disagree,
   * or when a type of the stream has a function shape (which cannot be read back).
   */
  aggregateIdOf(stream: string, subject: string): string | undefined;
}

/** A decoded event of the contract `C`: the union of its current event types. */
export type EventOfContract<C> = C extends Contract<infer E, string> ? EventOf<E> : never;
/** The `type` names of the contract's current event types. */
export type EventTypeName<C> = EventOfContract<C>['type'];
/** The contract's stream names. */
export type StreamOf<C> = C extends Contract<EventType, infer N> ? N : never;
/** The events of `C` whose type is one of `T`. */
export type EventsOfType<C, T extends string> = Extract<EventOfContract<C>, { readonly type: T }>;

export class ContractError extends Error {
  readonly code = 'CONTRACT_INVALID';
}

const TYPE_NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$/;
const STREAM_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;

/**
 * Declares an application's contract and checks it whole: unique stream and type names, every
 * event type on a declared stream whose subjects hold its events (as its subject shape gives
 * them), upcasters between declared types. A mistake stops start-up with a message naming it.
 *
 * @example
 * export const shop = defineContract({
 *   streams: [{ name: 'ORDERS', subjects: 'orders.>' }],
 *   events: [OrderPlaced, OrderShipped], legacy: [], upcasters: [] });
 */
export function defineContract<
  const N extends string,
  const E extends EventType<string, z.ZodType, NoInfer<N>>,
>(definition: {
  readonly streams: readonly StreamDefinition<N>[];
  readonly events: readonly E[];
  readonly legacy?: readonly EventType<string, z.ZodType, NoInfer<N>>[];
  readonly upcasters?: readonly Upcaster[];
}): Contract<E, N> {
  const { streams, events } = definition;
  const legacy = definition.legacy ?? [];
  const upcasters = definition.upcasters ?? [];
  const problems: string[] = [];
  const streamNames = new Set<string>();
  for (const stream of streams) {
    if (!STREAM_NAME.test(stream.name))
      problems.push(`stream ${stream.name}: names are upper-case letters, digits and _ (max 32)`);
    if (streamNames.has(stream.name)) problems.push(`stream ${stream.name} is declared twice`);
    streamNames.add(stream.name);
    const replicas = stream.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
      problems.push(`stream ${stream.name}: replicas must be 1 to 5`);
  }
  const types = new Map<string, EventType>();
  const subjects = new Map<string, TypeSubject>();
  for (const eventType of [...events, ...legacy]) {
    if (!TYPE_NAME.test(eventType.type))
      problems.push(`event type ${eventType.type}: must be <context>.<event>.v<N> in lower case`);
    if (types.has(eventType.type)) problems.push(`event type ${eventType.type} is declared twice`);
    types.set(eventType.type, eventType);
    const stream = streams.find((s) => s.name === eventType.stream);
    if (!stream) {
      problems.push(`event type ${eventType.type}: stream ${eventType.stream} is not declared`);
      continue;
    }
    const shape = eventType.subjectShape ?? stream.subjectShape ?? DEFAULT_SUBJECT_SHAPE;
    const shaped = typeSubject(shape, eventType.type);
    if ('problems' in shaped) {
      for (const problem of shaped.problems) problems.push(`event type ${eventType.type}: ${problem}`);
      continue;
    }
    subjects.set(eventType.type, shaped);
    // A pattern's filter is checked whole; a function's subject by one example.
    const example = shaped.filter ?? shaped.subjectOf('id');
    if (!subjectMatches(stream.subjects, example))
      problems.push(
        `event type ${eventType.type}: its subjects ${example} (shape ${describeShape(shape)}) are not under ${stream.name}'s subjects ${stream.subjects}`,
      );
  }
  const upcastersFrom = new Map<string, Upcaster>();
  for (const u of upcasters) {
    if (!types.has(u.from.type)) problems.push(`upcaster from ${u.from.type}: type not in the contract`);
    if (!types.has(u.to.type)) problems.push(`upcaster to ${u.to.type}: type not in the contract`);
    if (upcastersFrom.has(u.from.type)) problems.push(`two upcasters start from ${u.from.type}`);
    upcastersFrom.set(u.from.type, u);
  }
  for (const old of legacy) {
    if (!upcastersFrom.has(old.type))
      problems.push(`legacy event type ${old.type}: no upcaster lifts it to a current type`);
  }
  if (problems.length > 0) throw new ContractError(`invalid contract:\n  ${problems.join('\n  ')}`);
  const subjectOf = (type: string, aggregateId: string) => {
    const shaped = subjects.get(type) ?? typeSubject(DEFAULT_SUBJECT_SHAPE, type);
    // Only a type outside the contract can fail here (a malformed name): Vista's own shape then.
    return 'problems' in shaped
      ? `${type.replace(/\.v\d+$/, '')}.${aggregateId}`
      : shaped.subjectOf(aggregateId);
  };
  const aggregateIdOf = aggregateIdReader(
    streams.map((s) => s.name),
    [...events, ...legacy],
    subjects,
  );
  return { streams, events, legacy, upcasters, types, upcastersFrom, subjectOf, aggregateIdOf };
}

/** `Contract.aggregateIdOf` over the shapes of each stream's types. */
function aggregateIdReader(
  streams: readonly string[],
  types: readonly EventType[],
  subjects: ReadonlyMap<string, TypeSubject>,
): Contract['aggregateIdOf'] {
  const byStream = new Map<string, TypeSubject[] | undefined>();
  for (const stream of streams) {
    const shapes = types.filter((t) => t.stream === stream).map((t) => subjects.get(t.type));
    // A function shape may give any subject: no id read from a subject of the stream is certain.
    byStream.set(
      stream,
      shapes.every((s) => s?.filter !== undefined) ? (shapes as TypeSubject[]) : undefined,
    );
  }
  return (stream, subject) => {
    let id: string | undefined;
    for (const shape of byStream.get(stream) ?? []) {
      const read = shape.aggregateIdOf(subject);
      if (read === undefined) continue;
      if (id !== undefined && id !== read) return undefined;
      id = read;
    }
    return id;
  };
}

function describeShape(shape: string | ((...args: never[]) => unknown)): string {
  return typeof shape === 'string' ? shape : 'a function';
}
