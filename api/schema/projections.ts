import type { ApiContext } from '../context.ts';
import { publicDetail } from '../errors.ts';

export const projectionsTypeDefs = /* GraphQL */ `
  """
  The status of a generation of a projection: what it is doing. (The enum keeps the name it
  was published with; its values are statuses.)
  """
  enum ProjectionState {
    "Another projector process owns it; this status is that owner's last report."
    STANDBY
    "Being set up."
    STARTING
    "Behind the stream heads and consuming."
    CATCHING_UP
    "At the stream heads."
    RUNNING
    "A batch failed and is being retried with backoff."
    RETRYING
    "Stopped by a poison event, a diverged checkpoint or repeated failures: needs an operator."
    HALTED
    "Shut down cleanly."
    STOPPED
    "Has lag but its positions have not moved for STALL_AFTER_S seconds, whatever its owner reports."
    STALLED
    "A status this version of the API does not know (a newer projector reported it)."
    UNKNOWN
  }

  "Where a generation is in its stream: its checkpoint and how far behind the head it is."
  type StreamPosition {
    "The stream, e.g. ORDERS."
    stream: String!
    "The last sequence applied."
    position: Long!
    "Events in the stream after the position (null when NATS cannot be asked)."
    lag: Long
    "Where this generation started reading the stream: beginning, sequence N, time T or new events only. Positions before it count as reached."
    start: String!
    "The first sequence this generation reads of the stream (1 unless it started later)."
    startSequence: Long!
    "Seconds the oldest event after the position has waited in the stream (0 without lag; null when NATS cannot be asked)."
    lagSeconds: Float
  }

  "Where one partition of a generation is in a stream: its own checkpoint."
  type PartitionPosition {
    "The stream, e.g. ORDERS."
    stream: String!
    "The last sequence the partition applied."
    position: Long!
    "Events in the stream after the position (null when NATS cannot be asked)."
    lag: Long
  }

  """
  One partition of a generation: a hash-slice of the projection's keys with its own checkpoint
  and lease, owned by one projector process at a time. A projection that is not split has one.
  """
  type ProjectionPartition {
    "Its index, from 0."
    index: Int!
    "The projector process that owns it now (host:pid:id), or null when none does; operators only (null for others)."
    owner: String
    "What its owner last reported (STARTING before its first report)."
    status: ProjectionState!
    "Per source stream, its own position and lag; the generation's position is the least over its partitions."
    positions: [PartitionPosition!]!
  }

  "One build of a projection: the live one serves queries, a building one is a rebuild beside it."
  type ProjectionGeneration {
    "The generation number (the N of <view>__g<N>)."
    generation: Int!
    "The projection version it was built with."
    version: Int!
    "Its status."
    status: ProjectionState!
    "Why it is halted or retrying, when it is."
    detail: String
    "Per source stream, its position and lag."
    positions: [StreamPosition!]!
    "When one of its positions last moved (ISO-8601)."
    lastAdvanceAt: String!
    "Its partitions, by index: owner, status and positions of each."
    partitions: [ProjectionPartition!]!
  }

  "A projection: the view it serves and how fresh it is."
  type Projection {
    "The public name (PostgreSQL view or Elasticsearch alias)."
    name: String!
    "The version serving queries."
    version: Int!
    "The generation serving queries."
    generation: Int!
    "The live generation's status."
    status: ProjectionState!
    "Per source stream, the live generation's position (the least over its partitions) and lag."
    positions: [StreamPosition!]!
    "The live generation's partitions, by index: owner, status and positions of each."
    partitions: [ProjectionPartition!]!
    "Why it is halted, retrying or stalled, when it is."
    detail: String
    "Unresolved dead letters."
    deadLetterCount: Int!
    """
    Poison events the live generation skipped without a dead letter, past its cap of unresolved
    letters (DEAD_LETTER_MAX): 0 until the cap is reached. They stay in their streams; a rebuild
    after a fix applies them.
    """
    deadLettersNotKept: Int!
    "When an operator action for it was last recorded (ISO-8601)."
    lastActionAt: String
    "The generation serving queries."
    live: ProjectionGeneration!
    "A rebuild in progress beside it, if any."
    rebuilding: ProjectionGeneration
  }

  extend type Query {
    "Every projection, its generations and how far behind the streams each is."
    projections: [Projection!]!
  }
`;

/** Operators read a halt's whole detail; anonymous clients its code and place (see publicDetail). */
const detailFor = (parent: { detail: string | null }, _: unknown, ctx: ApiContext) =>
  ctx.operator.allowed(ctx.request) ? parent.detail : publicDetail(parent.detail);

export const projectionsResolvers = {
  Query: {
    // Read once per request however many (aliased) fields ask: see ApiContext.projections.
    projections: (_: unknown, __: unknown, ctx: ApiContext) => ctx.projections(),
  },
  Projection: { detail: detailFor },
  ProjectionGeneration: { detail: detailFor },
  ProjectionPartition: {
    // Hosts and process ids are the operators' business.
    owner: (parent: { owner: string | null }, _: unknown, ctx: ApiContext) =>
      ctx.operator.allowed(ctx.request) ? parent.owner : null,
  },
};
