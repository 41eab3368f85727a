import { createGraphQLError } from 'graphql-yoga';
import type { Pool } from '../../shared/clients/postgres.ts';
import type { ActionRecord, OperatorCommand } from '../../shared/operator-commands.ts';
import type { ApiContext, ServerContext } from '../context.ts';
import type { Projection } from './projections.ts';

export const operatorTypeDefs = /* GraphQL */ `
  "An event a projection could not apply, kept with what is needed to retry it after a fix."
  type DeadLetter {
    "Its id (for skipDeadLetter)."
    id: ID!
    "The stream it came from."
    stream: String!
    "Its sequence in that stream."
    sequence: Long!
    "Its NATS subject."
    subject: String!
    "Its CloudEvents type, when it could be read."
    type: String
    "Why it failed, as a code (e.g. INVALID_DATA, HANDLER_FAILED)."
    errorCode: String!
    "Why it failed."
    error: String!
    "How often it has failed."
    attempts: Int!
    "When it last failed (ISO-8601)."
    createdAt: String!
    "Whether a retry was asked for and has not run yet."
    retryRequested: Boolean!
    "The message as stored, as UTF-8 text (untrusted: whatever a publisher sent)."
    payload: String!
  }

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
    "The address it came from, as the API saw it."
    address: String
    "The user agent that sent it."
    userAgent: String
    "Whether it was executed."
    outcome: OperatorActionOutcome!
    "What was done, or why not."
    detail: String!
  }

  "A change of a generation's state, as its owner reported it."
  type ProjectionStateChange {
    "The generation."
    generation: Int!
    "The state it entered."
    status: ProjectionState!
    "Why, for halted and retrying."
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
    "Its unresolved dead letters, oldest position first."
    deadLetters("At most this many (1 to 100)." first: Int = 50): [DeadLetter!]!
    "Its latest operator actions, newest first."
    actions("At most this many (1 to 100)." last: Int = 20): [OperatorAction!]!
    "Its latest state changes, newest first (moves between starting, catching_up and running are routine and not kept)."
    stateChanges("At most this many (1 to 100)." last: Int = 20): [ProjectionStateChange!]!
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

function limit(value: number, max: number): number {
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

async function readActions(pool: Pool, projection: string, last: number) {
  const { rows } = await pool.query<{
    id: string;
    projection: string;
    action: string;
    dead_letter_id: string | null;
    origin: ActionRecord['origin'];
    outcome: ActionRecord['outcome'];
    detail: string;
    at: Date;
  }>('SELECT * FROM vista_operator_actions WHERE projection = $1 ORDER BY id DESC LIMIT $2', [
    projection,
    last,
  ]);
  return rows.map((r) =>
    action({
      id: Number(r.id),
      projection: r.projection,
      action: r.action,
      deadLetterId: r.dead_letter_id === null ? null : Number(r.dead_letter_id),
      origin: r.origin,
      outcome: r.outcome,
      detail: r.detail,
      at: r.at.toISOString(),
    }),
  );
}

const act = (ctx: ApiContext & Partial<ServerContext>, command: OperatorCommand) =>
  ctx.operator.act(ctx.request, ctx.req, command).then(action);

export const operatorResolvers = {
  Projection: {
    deadLetters: async (projection: Projection, args: { first: number }, ctx: ApiContext) => {
      const { rows } = await ctx.pool.query<{
        id: string;
        stream: string;
        sequence: number;
        subject: string;
        type: string | null;
        error_code: string;
        error: string;
        attempts: number;
        created_at: Date;
        retry_requested_at: Date | null;
        payload: Buffer;
      }>(
        `SELECT id, stream, sequence, subject, type, error_code, error, attempts, created_at, retry_requested_at, payload
           FROM vista_dead_letters WHERE projection = $1 AND generation = $3 AND resolved_at IS NULL
          ORDER BY stream, sequence LIMIT $2`,
        // The live generation's letters: a rebuild has its own (and retired ones are history).
        [projection.name, limit(args.first, 100), projection.generation],
      );
      return rows.map((r) => ({
        id: String(r.id),
        stream: r.stream,
        sequence: r.sequence,
        subject: r.subject,
        type: r.type,
        errorCode: r.error_code,
        error: r.error,
        attempts: r.attempts,
        createdAt: r.created_at.toISOString(),
        retryRequested: r.retry_requested_at !== null,
        payload: r.payload.toString('utf8'),
      }));
    },
    actions: (projection: Projection, args: { last: number }, ctx: ApiContext) =>
      readActions(ctx.pool, projection.name, limit(args.last, 100)),
    stateChanges: async (projection: Projection, args: { last: number }, ctx: ApiContext) => {
      const { rows } = await ctx.pool.query<{
        generation: number;
        status: string;
        detail: string | null;
        at: Date;
      }>(
        'SELECT generation, status, detail, at FROM vista_state_changes WHERE projection = $1 ORDER BY id DESC LIMIT $2',
        [projection.name, limit(args.last, 100)],
      );
      return rows.map((r) => ({ ...r, status: r.status.toUpperCase(), at: r.at.toISOString() }));
    },
    generations: async (projection: Projection, args: { last: number }, ctx: ApiContext) => {
      const { rows } = await ctx.pool.query<{
        generation: number;
        version: number;
        state: string;
        created_at: Date;
        live_at: Date | null;
        retired_at: Date | null;
      }>(
        `SELECT generation, version, state, created_at, live_at, retired_at FROM vista_generations
          WHERE projection = $1 ORDER BY generation DESC LIMIT $2`,
        [projection.name, limit(args.last, 50)],
      );
      return rows.map((r) => ({
        generation: r.generation,
        version: r.version,
        role: r.state,
        createdAt: r.created_at.toISOString(),
        liveAt: iso(r.live_at),
        retiredAt: iso(r.retired_at),
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
