import type { JetStreamManager } from '@nats-io/jetstream';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import type { Streams } from '../../shared/events/streams.ts';
import { LEASE_NAMESPACE } from './lease.ts';

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly generation: number;
  /** `live` serves the public name; `building` is a rebuild beside it. */
  readonly role: 'live' | 'building';
  readonly status: string;
  readonly detail: string | null;
  readonly deadLetters: number;
  readonly streams: { stream: string; position: number; lag: number }[];
}

/**
 * What `vista status` prints: per projection its live generation and, during a rebuild, the
 * building one, with the stored state and the lag behind the stream heads.
 */
export async function readStatus(
  pool: Pool,
  jsm: JetStreamManager,
  streams: Streams,
): Promise<ProjectionStatus[]> {
  const heads = await streamHeads(jsm, streams);
  const { rows } = await pool.query<{
    name: string;
    version: number;
    generation: number;
    role: 'live' | 'building';
    status: string;
    detail: string | null;
    dead_letters: number;
    owned: boolean;
    positions: { stream: string; position: number }[];
  }>(
    `SELECT g.projection AS name, g.version, g.generation, g.state AS role, g.status, g.detail,
            EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${LEASE_NAMESPACE}
                       AND l.objsubid = 2 AND l.objid::int4 = hashtext(g.projection)) AS owned,
            (SELECT count(*) FROM vista_dead_letters d
              WHERE d.projection = g.projection AND d.generation = g.generation
                AND d.resolved_at IS NULL) AS dead_letters,
            coalesce(json_agg(json_build_object('stream', c.stream, 'position', c.position) ORDER BY c.stream)
                     FILTER (WHERE c.stream IS NOT NULL), '[]') AS positions
       FROM vista_generations g
       LEFT JOIN vista_checkpoints c ON c.projection = g.projection AND c.generation = g.generation
      WHERE g.state IN ('live', 'building')
      GROUP BY g.projection, g.generation ORDER BY g.projection, g.generation`,
  );
  return rows.map((row) => ({
    name: row.name,
    version: row.version,
    generation: row.generation,
    role: row.role,
    // A process killed without a word leaves its last status behind; no lease means no owner.
    status: row.owned || row.status === 'stopped' ? row.status : 'unowned',
    detail: row.detail,
    deadLetters: row.dead_letters,
    streams: row.positions.map((p) => ({ ...p, lag: Math.max(0, (heads[p.stream] ?? 0) - p.position) })),
  }));
}
