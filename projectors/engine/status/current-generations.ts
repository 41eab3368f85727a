import { prepared } from '../../../shared/clients/postgres.ts';
import type { RunningRole } from '../generations/generations.ts';
import type { SqlReads } from '../support/sql-reads.ts';

/** Where a current generation stands on one of its streams, as its checkpoint says. */
export interface StoredPosition {
  readonly stream: string;
  /** The last sequence applied. */
  readonly position: number;
  /** Where it started reading the stream: `beginning`, `sequence N`, `time T`, `new events only`. */
  readonly start: string;
  /** The first sequence it reads of the stream. */
  readonly startSequence: number;
}

/** One partition of a generation: who owns it, what it reported, and its own checkpoint. */
export interface PartitionState {
  readonly index: number;
  /** The projector process holding its lease now (`host:pid:id`), or null when none does. */
  readonly owner: string | null;
  /** What its owner last reported (null before its first report). */
  readonly status: string | null;
  readonly positions: readonly { readonly stream: string; readonly position: number }[];
}

/** A live or building generation as the catalog holds it: what its owner reported, and its checkpoint. */
export interface CurrentGeneration {
  readonly projection: string;
  readonly generation: number;
  readonly version: number;
  readonly role: RunningRole;
  /** What its owner last reported. */
  readonly status: string;
  readonly detail: string | null;
  /** Whether a projector process holds the projection's lease now. */
  readonly owned: boolean;
  /** Its unresolved dead letters. */
  readonly deadLetters: number;
  /** Poison events it skipped past the dead-letter cap without a letter. */
  readonly notKept: number;
  /** When one of its positions last moved. */
  readonly lastAdvanceAt: Date;
  /** When an operator action for the projection was last recorded. */
  readonly lastActionAt: Date | null;
  /** The least over its partitions, per stream: what readers are told. */
  readonly positions: readonly StoredPosition[];
  /** Its partitions (one unless the projection is split), by index. */
  readonly partitions: readonly PartitionState[];
}

/**
 * Every current (live and building) generation of every projection with its positions, in one
 * query: the one reader behind `vista status`, the metrics and the API's `projections`.
 */
export async function readCurrentGenerations(db: SqlReads): Promise<CurrentGeneration[]> {
  const { rows } = await db.query<{
    projection: string;
    generation: number;
    version: number;
    role: RunningRole;
    status: string;
    detail: string | null;
    owned: boolean;
    dead_letters: number;
    not_kept: number;
    last_advance_at: Date;
    last_action_at: Date | null;
    positions: StoredPosition[];
    partitions: PartitionState[];
  }>(
    `SELECT g.projection, g.generation, g.version, g.role, g.status, g.detail,
            EXISTS (SELECT 1 FROM vista_leases l
                     WHERE l.projection = g.projection AND l.owner IS NOT NULL AND l.expires_at > now()) AS owned,
            (SELECT count(*) FROM vista_dead_letters d WHERE d.projection = g.projection AND d.generation = g.generation
                AND d.resolved_at IS NULL)::int AS dead_letters,
            (SELECT coalesce(sum(n.count), 0) FROM vista_dead_letters_not_kept n
              WHERE n.projection = g.projection AND n.generation = g.generation)::int AS not_kept,
            coalesce(max(c.updated_at), g.created_at) AS last_advance_at,
            (SELECT max(a.at) FROM vista_operator_actions a WHERE a.projection = g.projection) AS last_action_at,
            coalesce(json_agg(json_build_object('stream', c.stream, 'position', c.position,
                                      'start', c.start_position, 'startSequence', c.start_sequence) ORDER BY c.stream)
                     FILTER (WHERE c.stream IS NOT NULL), '[]') AS positions,
            (SELECT coalesce(json_agg(json_build_object('index', pc.partition, 'owner', l.owner,
                                        'status', ps.status, 'positions', pc.positions) ORDER BY pc.partition), '[]')
               FROM (SELECT k.partition, json_agg(json_build_object('stream', k.stream, 'position', k.position)
                                                  ORDER BY k.stream) AS positions
                       FROM vista_checkpoints k WHERE k.projection = g.projection AND k.generation = g.generation
                      GROUP BY k.partition) AS pc
               LEFT JOIN vista_partitions ps
                 ON ps.projection = g.projection AND ps.generation = g.generation AND ps.partition = pc.partition
               LEFT JOIN vista_leases l
                 ON l.projection = g.projection AND l.partition = pc.partition
                AND l.owner IS NOT NULL AND l.expires_at > now()) AS partitions
       FROM vista_generations g
       LEFT JOIN vista_positions c ON c.projection = g.projection AND c.generation = g.generation
      WHERE g.role IN ('live', 'building')
      GROUP BY g.projection, g.generation ORDER BY g.projection, g.generation`,
  );
  return rows.map((r) => ({
    projection: r.projection,
    generation: r.generation,
    version: r.version,
    role: r.role,
    status: r.status,
    detail: r.detail,
    owned: r.owned,
    deadLetters: r.dead_letters,
    notKept: r.not_kept,
    lastAdvanceAt: r.last_advance_at,
    lastActionAt: r.last_action_at,
    positions: r.positions,
    partitions: r.partitions,
  }));
}

/** The projections whose live generation is halted: their views stay stale until an operator acts. */
export async function readHaltedLive(db: SqlReads): Promise<string[]> {
  const { rows } = await db.query<{ projection: string }>(
    `SELECT projection FROM vista_generations WHERE role = 'live' AND status = 'halted' ORDER BY projection`,
  );
  return rows.map((r) => r.projection);
}

/** A projection's live generation as readers see it. */
export interface LivePositions {
  readonly generation: number;
  readonly positions: Record<string, number>;
  /**
   * Halted (on a poison event, or a checkpoint beyond its stream's head: diverged): its
   * positions may claim events its view does not hold, and it moves no more until an operator
   * acts, so no read-your-writes wait is met by it.
   */
  readonly halted: boolean;
  /** Partitions it is built with (0 when unknown): with one, a commit's checkpoint is its position. */
  readonly partitions: number;
}

/**
 * Each projection's live generation and its positions (the least over its partitions): what
 * readers are told they read, so a position is never claimed before every partition holds it.
 */
export async function readLivePositions(db: SqlReads): Promise<Map<string, LivePositions>> {
  const { rows } = await db.query<{
    projection: string;
    generation: number;
    stream: string;
    position: number;
    halted: boolean;
    partitions: number;
  }>(
    // Prepared: the API reads this at every notification that does not carry the positions.
    prepared(`SELECT p.name AS projection, p.generation, c.stream, c.position, coalesce(g.status = 'halted', false) AS halted,
              coalesce(g.partitions, 0) AS partitions
       FROM vista_projections p
       JOIN vista_positions c ON c.projection = p.name AND c.generation = p.generation
       LEFT JOIN vista_generations g ON g.projection = p.name AND g.generation = p.generation`),
  );
  const live = new Map<string, LivePositions>();
  for (const row of rows) {
    const entry = live.get(row.projection) ?? {
      generation: row.generation,
      positions: {},
      halted: row.halted,
      partitions: row.partitions,
    };
    entry.positions[row.stream] = row.position;
    live.set(row.projection, entry);
  }
  return live;
}
