import type { Pool } from '../../shared/clients/postgres.ts';
import type { ApiContext } from '../context.ts';

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
    "Unresolved dead letters."
    deadLetterCount: Int!
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
  positions: { stream: string; position: number; start: string; startSequence: number }[];
}

const STATES = new Set(['STANDBY', 'STARTING', 'CATCHING_UP', 'RUNNING', 'RETRYING', 'HALTED', 'STOPPED']);

/** The state as the enum has it; a state unknown to this API is not an error for the whole list. */
function state(status: string): string {
  const upper = status.toUpperCase();
  return STATES.has(upper) ? upper : 'UNKNOWN';
}

/** Every projection with its live generation (and a building one during a rebuild), in one query. */
export async function readProjections(pool: Pool, heads: Record<string, number> | undefined) {
  const { rows } = await pool.query<GenerationRow>(
    `SELECT g.projection, g.generation, g.version, g.state, g.status, g.detail,
            (SELECT count(*) FROM vista_dead_letters d WHERE d.projection = g.projection AND d.resolved_at IS NULL)::int AS dead_letters,
            coalesce(json_agg(json_build_object('stream', c.stream, 'position', c.position,
                                      'start', c.start_position, 'startSequence', c.start_sequence) ORDER BY c.stream)
                     FILTER (WHERE c.stream IS NOT NULL), '[]') AS positions
       FROM vista_generations g
       LEFT JOIN vista_checkpoints c ON c.projection = g.projection AND c.generation = g.generation
      WHERE g.state IN ('live', 'building')
      GROUP BY g.projection, g.generation ORDER BY g.projection, g.generation`,
  );
  const generation = (row: GenerationRow) => ({
    generation: row.generation,
    version: row.version,
    status: state(row.status),
    detail: row.detail,
    positions: row.positions.map((p) => ({
      ...p,
      lag: heads?.[p.stream] === undefined ? null : Math.max(0, (heads[p.stream] as number) - p.position),
    })),
  });
  return rows
    .filter((r) => r.state === 'live')
    .map((live) => {
      const building = rows.find((r) => r.projection === live.projection && r.state === 'building');
      const g = generation(live);
      return {
        name: live.projection,
        version: live.version,
        generation: live.generation,
        status: g.status,
        positions: g.positions,
        deadLetterCount: live.dead_letters,
        live: g,
        rebuilding: building ? generation(building) : null,
      };
    });
}

export type Projection = Awaited<ReturnType<typeof readProjections>>[number];

export const projectionsResolvers = {
  Query: {
    projections: async (_: unknown, __: unknown, ctx: ApiContext) =>
      readProjections(ctx.pool, await ctx.streamHeads()),
  },
};
