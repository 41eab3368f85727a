import type { SqlReads } from '../../projectors/engine/support/sql-reads.ts';
import { judgeStall, lagSeconds, stallDetail } from '../../shared/stall.ts';
import type { ApiContext, StreamClock } from '../context.ts';
import { publicDetail } from '../errors.ts';

export const projectionsTypeDefs = /* GraphQL */ `
  "What a generation of a projection is doing."
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
    "A state this version of the API does not know (a newer projector reported it)."
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

  "One build of a projection: the live one serves queries, a building one is a rebuild beside it."
  type ProjectionGeneration {
    "The generation number (the N of <view>__g<N>)."
    generation: Int!
    "The projection version it was built with."
    version: Int!
    "Its state."
    status: ProjectionState!
    "Why it is halted or retrying, when it is."
    detail: String
    "Per source stream, its position and lag."
    positions: [StreamPosition!]!
    "When one of its positions last moved (ISO-8601)."
    lastAdvanceAt: String!
  }

  "A read model and how fresh it is."
  type Projection {
    "The public name (PostgreSQL view or Elasticsearch alias)."
    name: String!
    "The version serving queries."
    version: Int!
    "The generation serving queries."
    generation: Int!
    "The live generation's state."
    status: ProjectionState!
    "Per source stream, the live generation's position and lag."
    positions: [StreamPosition!]!
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

interface GenerationRow {
  projection: string;
  generation: number;
  version: number;
  state: 'live' | 'building';
  status: string;
  detail: string | null;
  dead_letters: number;
  not_kept: number;
  last_advance_at: Date;
  last_action_at: Date | null;
  positions: { stream: string; position: number; start: string; startSequence: number }[];
}

const STATES = new Set([
  'STANDBY',
  'STARTING',
  'CATCHING_UP',
  'RUNNING',
  'RETRYING',
  'HALTED',
  'STOPPED',
  'STALLED',
]);

/** The state as the enum has it; a state unknown to this API is not an error for the whole list. */
function state(status: string): string {
  const upper = status.toUpperCase();
  return STATES.has(upper) ? upper : 'UNKNOWN';
}

/**
 * Every projection with its live generation (and a building one during a rebuild), in one
 * query; with `clock`, the lag in seconds and stalls (see shared/stall.ts).
 */
export async function readProjections(
  pool: SqlReads,
  heads: Record<string, number> | undefined,
  clock?: StreamClock,
) {
  const { rows } = await pool.query<GenerationRow>(
    `SELECT g.projection, g.generation, g.version, g.state, g.status, g.detail,
            (SELECT count(*) FROM vista_dead_letters d WHERE d.projection = g.projection AND d.generation = g.generation
                AND d.resolved_at IS NULL)::int AS dead_letters,
            (SELECT coalesce(sum(n.count), 0) FROM vista_dead_letters_not_kept n
              WHERE n.projection = g.projection AND n.generation = g.generation)::int AS not_kept,
            coalesce(max(c.updated_at), g.created_at) AS last_advance_at,
            (SELECT max(a.at) FROM vista_operator_actions a WHERE a.projection = g.projection) AS last_action_at,
            coalesce(json_agg(json_build_object('stream', c.stream, 'position', c.position,
                                      'start', c.start_position, 'startSequence', c.start_sequence) ORDER BY c.stream)
                     FILTER (WHERE c.stream IS NOT NULL), '[]') AS positions
       FROM vista_generations g
       LEFT JOIN vista_checkpoints c ON c.projection = g.projection AND c.generation = g.generation
      WHERE g.state IN ('live', 'building')
      GROUP BY g.projection, g.generation ORDER BY g.projection, g.generation`,
  );
  const now = new Date();
  const generation = async (row: GenerationRow) => {
    const positions = await Promise.all(
      row.positions.map(async (p) => {
        const head = heads?.[p.stream];
        const lag = head === undefined ? null : Math.max(0, head - p.position);
        const pendingSince =
          lag && clock ? await clock.storedAt(p.stream, p.position + 1).catch(() => undefined) : undefined;
        return { ...p, lag, pendingSince };
      }),
    );
    const stall = clock
      ? judgeStall(
          { status: row.status, lastAdvanceAt: row.last_advance_at, streams: positions },
          clock.stallAfterMs,
          now,
        )
      : undefined;
    return {
      generation: row.generation,
      version: row.version,
      status: stall ? 'STALLED' : state(row.status),
      detail: stall ? stallDetail(stall, row.status, row.detail) : row.detail,
      lastAdvanceAt: row.last_advance_at.toISOString(),
      positions: positions.map(({ pendingSince, ...p }) => ({
        ...p,
        // Without a clock the wait is unknown, not zero.
        lagSeconds: clock ? lagSeconds(p.lag, pendingSince, now) : null,
      })),
    };
  };
  return Promise.all(
    rows
      .filter((r) => r.state === 'live')
      .map(async (live) => {
        const building = rows.find((r) => r.projection === live.projection && r.state === 'building');
        const g = await generation(live);
        return {
          name: live.projection,
          version: live.version,
          generation: live.generation,
          status: g.status,
          detail: g.detail,
          positions: g.positions,
          deadLetterCount: live.dead_letters,
          deadLettersNotKept: live.not_kept,
          lastActionAt: live.last_action_at?.toISOString() ?? null,
          live: g,
          rebuilding: building ? await generation(building) : null,
        };
      }),
  );
}

export type Projection = Awaited<ReturnType<typeof readProjections>>[number];

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
};
