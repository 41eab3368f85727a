import { createGraphQLError } from 'graphql-yoga';
import { readActions, readGenerationHistory, readStatusChanges } from '../../projectors/engine/internal.ts';
import type { ActionRecord, OperatorCommand } from '../../shared/operator-commands.ts';
import type { ApiContext, ServerContext } from '../context.ts';
import { publicDetail } from '../errors.ts';
import type { Projection } from '../projection-status.ts';

export const operatorTypeDefs = /* GraphQL */ `
  "The kinds of operator action."
  enum OperatorActionKind {
    "Rebuild the projection into a new generation, then switch."
    START_REBUILD
    "Retry its unresolved dead letters (a halted projection resumes)."
    RETRY_DEAD_LETTERS
    "Resolve one dead letter without applying it."
    SKIP_DEAD_LETTER
  }

  "What came of an operator action."
  enum OperatorActionOutcome {
    "The projector executed it: the projection's owner acts on it within seconds."
    ACCEPTED
    "The projector refused it (see detail)."
    REFUSED
  }

  "An operator action as the projectors recorded it: what, when, from where, and its outcome."
  type OperatorAction {
    "Its id."
    id: ID!
    "The projection it was for."
    projection: String!
    "What was asked."
    action: OperatorActionKind!
    "The dead letter it named, for SKIP_DEAD_LETTER."
    deadLetterId: ID
    "When it was executed (ISO-8601)."
    at: String!
    "Through what it came: graphql or cli."
    via: String!
    "The address it came from, as the API saw it (operators only: null for anyone else)."
    address: String
    "The user agent that sent it (operators only: null for anyone else)."
    userAgent: String
    "Whether it was executed."
    outcome: OperatorActionOutcome!
    "What was done, or why not."
    detail: String!
  }

  "A change of a generation's status, as its owner reported it."
  type ProjectionStatusChange {
    "The generation."
    generation: Int!
    "The status it entered."
    status: ProjectionState!
    "Why, for halted and retrying: the whole detail for an operator, its code and place for anyone else."
    detail: String
    "When (ISO-8601)."
    at: String!
  }

  "A change of a generation's state, as its owner reported it."
  type ProjectionStateChange {
    "The generation."
    generation: Int!
    "The state it entered."
    status: ProjectionState!
    "Why, for halted and retrying: the whole detail for an operator, its code and place for anyone else."
    detail: String
    "When (ISO-8601)."
    at: String!
  }

  "One build of a projection, past or present."
  type GenerationRecord {
    "The generation number."
    generation: Int!
    "The projection version it was built with."
    version: Int!
    "live, building or retired."
    role: String!
    "When it started building (ISO-8601)."
    createdAt: String!
    "When it started serving (ISO-8601)."
    liveAt: String
    "When it stopped serving (ISO-8601)."
    retiredAt: String
  }

  extend type Projection {
    "Its latest operator actions, newest first."
    actions("At most this many (1 to 100)." last: Int = 20): [OperatorAction!]!
    "Its latest status changes, newest first (moves between starting, catching_up and running are routine and not kept)."
    statusChanges("At most this many (1 to 100)." last: Int = 20): [ProjectionStatusChange!]!
    "Its latest state changes, newest first (moves between starting, catching_up and running are routine and not kept)."
    stateChanges("At most this many (1 to 100)." last: Int = 20): [ProjectionStateChange!]!
      @deprecated(reason: "Use statusChanges: a generation's status, one word for one concept.")
    "Its generations, newest first (retired ones included)."
    generations("At most this many (1 to 50)." last: Int = 10): [GenerationRecord!]!
  }

  extend type Query {
    "Whether this request carries the operator token (Authorization: Bearer <OPERATOR_TOKEN>)."
    operatorAllowed: Boolean!
  }

  "Operator actions: each needs Authorization: Bearer <OPERATOR_TOKEN>, or it fails with FORBIDDEN."
  type Mutation {
    "Starts a rebuild of the projection beside its live generation."
    startRebuild("The projection." projection: String!): OperatorAction!
    "Retries the projection's unresolved dead letters; a halted projection resumes."
    retryDeadLetters("The projection." projection: String!): OperatorAction!
    "Resolves one dead letter without applying it; a projection halted on it moves past it."
    skipDeadLetter("The projection." projection: String!, "The dead letter's id." id: ID!): OperatorAction!
  }
`;

/** A list argument (`first`, `last`) checked to be 1 to `max`. */
export function countArgument(value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw createGraphQLError(`must be between 1 and ${max}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return value;
}

const iso = (at: Date | null) => (at ? at.toISOString() : null);

function action(record: ActionRecord) {
  return {
    id: String(record.id),
    projection: record.projection,
    action: record.action.toUpperCase(),
    deadLetterId: record.deadLetterId === null ? null : String(record.deadLetterId),
    at: record.at,
    via: record.origin.via,
    address: record.origin.address ?? null,
    userAgent: record.origin.userAgent ?? null,
    outcome: record.outcome.toUpperCase(),
    detail: record.detail,
  };
}

/** Who sent an operator action is for operators' eyes: anyone else reads what was done, and when. */
const forOperators =
  (field: 'address' | 'userAgent') =>
  (record: { address: string | null; userAgent: string | null }, _: unknown, ctx: ApiContext) =>
    ctx.operator.allowed(ctx.request) ? record[field] : null;

/** Operators read a status change's whole detail; anyone else its code and place. */
const changeDetail = (change: { detail: string | null }, _: unknown, ctx: ApiContext) =>
  ctx.operator.allowed(ctx.request) ? change.detail : publicDetail(change.detail);

async function statusChanges(projection: Projection, args: { last: number }, ctx: ApiContext) {
  const changes = await readStatusChanges(ctx.stores.pool, projection.name, countArgument(args.last, 100));
  return changes.map((r) => ({ ...r, status: r.status.toUpperCase(), at: r.at.toISOString() }));
}

const act = (ctx: ApiContext & Partial<ServerContext>, command: OperatorCommand) =>
  ctx.operator.act(ctx.request, ctx.req, command).then(action);

export const operatorResolvers = {
  OperatorAction: { address: forOperators('address'), userAgent: forOperators('userAgent') },
  // A status change's detail is a store's or a view's error text as often as a halt's is.
  ProjectionStatusChange: { detail: changeDetail },
  ProjectionStateChange: { detail: changeDetail },
  Projection: {
    actions: async (projection: Projection, args: { last: number }, ctx: ApiContext) =>
      (await readActions(ctx.stores.pool, projection.name, countArgument(args.last, 100))).map(action),
    statusChanges,
    stateChanges: statusChanges,
    generations: async (projection: Projection, args: { last: number }, ctx: ApiContext) => {
      const generations = await readGenerationHistory(
        ctx.stores.pool,
        projection.name,
        countArgument(args.last, 50),
      );
      return generations.map((r) => ({
        generation: r.generation,
        version: r.version,
        role: r.role,
        createdAt: r.createdAt.toISOString(),
        liveAt: iso(r.liveAt),
        retiredAt: iso(r.retiredAt),
      }));
    },
  },
  Query: {
    operatorAllowed: (_: unknown, __: unknown, ctx: ApiContext) => ctx.operator.allowed(ctx.request),
  },
  Mutation: {
    startRebuild: (_: unknown, args: { projection: string }, ctx: ApiContext & Partial<ServerContext>) =>
      act(ctx, { action: 'start_rebuild', projection: args.projection }),
    retryDeadLetters: (_: unknown, args: { projection: string }, ctx: ApiContext & Partial<ServerContext>) =>
      act(ctx, { action: 'retry_dead_letters', projection: args.projection }),
    skipDeadLetter: (
      _: unknown,
      args: { projection: string; id: string },
      ctx: ApiContext & Partial<ServerContext>,
    ) => {
      ctx.operator.assertAllowed(ctx.request);
      const id = Number(args.id);
      if (!Number.isSafeInteger(id) || id < 1) {
        throw createGraphQLError('id must be a dead letter id', { extensions: { code: 'BAD_USER_INPUT' } });
      }
      return act(ctx, { action: 'skip_dead_letter', projection: args.projection, deadLetterId: id });
    },
  },
};
