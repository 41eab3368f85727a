import { inTransaction, type Pool } from '../../../shared/clients/postgres.ts';

/**
 * The engine's own tables, as numbered migrations applied once each, in order. Read models
 * are not migrated here: a changed view ships as a new projection version (a new generation).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE vista_checkpoints (
     projection text NOT NULL,
     generation integer NOT NULL,
     stream text NOT NULL,
     position bigint NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (projection, generation, stream)
   );
   CREATE TABLE vista_projections (
     name text PRIMARY KEY,
     version integer NOT NULL,
     generation integer NOT NULL,
     status text NOT NULL,
     detail text,
     updated_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE vista_dead_letters (
     id bigserial PRIMARY KEY,
     projection text NOT NULL,
     stream text NOT NULL,
     sequence bigint NOT NULL,
     subject text NOT NULL,
     type text,
     payload bytea NOT NULL,
     error_code text NOT NULL,
     error text NOT NULL,
     attempts integer NOT NULL DEFAULT 1,
     created_at timestamptz NOT NULL DEFAULT now(),
     UNIQUE (projection, stream, sequence)
   );`,
  // Operator control: retry-dead-letters asks the owner of a projection to resume or re-apply.
  `ALTER TABLE vista_projections ADD COLUMN resume_requested boolean NOT NULL DEFAULT false;
   ALTER TABLE vista_dead_letters ADD COLUMN retry_requested_at timestamptz;
   ALTER TABLE vista_dead_letters ADD COLUMN resolved_at timestamptz;`,
  // Generations: a rebuild or a version bump builds a new one beside the live one.
  `CREATE TABLE vista_generations (
     projection text NOT NULL,
     generation integer NOT NULL,
     version integer NOT NULL,
     state text NOT NULL CHECK (state IN ('building', 'live', 'retired')),
     status text NOT NULL DEFAULT 'starting',
     detail text,
     created_at timestamptz NOT NULL DEFAULT now(),
     live_at timestamptz,
     retired_at timestamptz,
     PRIMARY KEY (projection, generation)
   );
   CREATE UNIQUE INDEX vista_generations_one_live ON vista_generations (projection) WHERE state = 'live';
   CREATE UNIQUE INDEX vista_generations_one_building ON vista_generations (projection) WHERE state = 'building';
   INSERT INTO vista_generations (projection, generation, version, state, status, live_at)
     SELECT name, generation, version, 'live', status, updated_at FROM vista_projections;
   ALTER TABLE vista_projections ADD COLUMN rebuild_requested boolean NOT NULL DEFAULT false;`,
  // Start positions: where each source of a generation began, resolved once when it was created;
  // a rebuild may ask for other starts than the definition's.
  `ALTER TABLE vista_checkpoints ADD COLUMN start_sequence bigint NOT NULL DEFAULT 1;
   ALTER TABLE vista_checkpoints ADD COLUMN start_position text NOT NULL DEFAULT 'beginning';
   ALTER TABLE vista_projections ADD COLUMN rebuild_start jsonb;`,
  // Operator console: each generation's state changes, the actions operators took (what, when,
  // from where, with what outcome), and how a dead letter was resolved (applied or skipped).
  `CREATE TABLE vista_state_changes (
     id bigserial PRIMARY KEY,
     projection text NOT NULL,
     generation integer NOT NULL,
     status text NOT NULL,
     detail text,
     at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX vista_state_changes_by_projection ON vista_state_changes (projection, id);
   CREATE TABLE vista_operator_actions (
     id bigserial PRIMARY KEY,
     projection text NOT NULL,
     action text NOT NULL,
     dead_letter_id bigint,
     origin jsonb NOT NULL,
     outcome text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
     detail text NOT NULL,
     at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX vista_operator_actions_by_projection ON vista_operator_actions (projection, id);
   ALTER TABLE vista_dead_letters ADD COLUMN resolution text CHECK (resolution IN ('applied', 'skipped'));`,
  // Dead letters belong to the generation that met them: a rebuild applies its own history and
  // leaves the live generation's letters alone; resume requests go to each generation.
  `ALTER TABLE vista_dead_letters ADD COLUMN generation integer;
   UPDATE vista_dead_letters d SET generation = p.generation FROM vista_projections p WHERE p.name = d.projection;
   UPDATE vista_dead_letters SET generation = 0 WHERE generation IS NULL;
   ALTER TABLE vista_dead_letters ALTER COLUMN generation SET NOT NULL;
   ALTER TABLE vista_dead_letters DROP CONSTRAINT vista_dead_letters_projection_stream_sequence_key;
   ALTER TABLE vista_dead_letters ADD UNIQUE (projection, generation, stream, sequence);
   ALTER TABLE vista_generations ADD COLUMN resume_requested boolean NOT NULL DEFAULT false;`,
  // Fenced leases: one row per unit (a projection, or a partition of one) with its owner, an
  // epoch that only grows (the fencing token every commit checks) and an expiry that only the
  // owner's renewals move; and the projector processes that are present, for status and balancing.
  `CREATE TABLE vista_leases (
     projection text NOT NULL,
     partition integer NOT NULL DEFAULT 0,
     owner text,
     epoch bigint NOT NULL DEFAULT 0,
     expires_at timestamptz NOT NULL DEFAULT now(),
     acquired_at timestamptz,
     renewed_at timestamptz,
     PRIMARY KEY (projection, partition)
   );
   CREATE TABLE vista_projectors (
     id text PRIMARY KEY,
     host text NOT NULL,
     pid integer NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(),
     seen_at timestamptz NOT NULL DEFAULT now()
   );`,
  // Dead-letter cap: installation settings (DEAD_LETTER_MAX, written
  // by each projector at start), what a generation met beyond the cap and did not keep, per
  // stream, and an index that counts a generation's unresolved letters without a scan.
  `CREATE TABLE vista_settings (
     name text PRIMARY KEY,
     value bigint NOT NULL
   );
   CREATE TABLE vista_dead_letters_not_kept (
     projection text NOT NULL,
     generation integer NOT NULL,
     stream text NOT NULL,
     count bigint NOT NULL,
     first_sequence bigint NOT NULL,
     last_sequence bigint NOT NULL,
     last_error_code text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (projection, generation, stream)
   );
   CREATE INDEX vista_dead_letters_unresolved ON vista_dead_letters (projection, generation)
     WHERE resolved_at IS NULL;`,
  // One word per concept: a generation's `role` (live, building, retired) is not its status,
  // and the history of status changes is named for status. Projection-level resume requests
  // were never read (operators ask each generation to resume): the column goes.
  `ALTER TABLE vista_generations RENAME COLUMN state TO role;
   ALTER TABLE vista_generations RENAME CONSTRAINT vista_generations_state_check TO vista_generations_role_check;
   ALTER TABLE vista_state_changes RENAME TO vista_status_changes;
   ALTER SEQUENCE vista_state_changes_id_seq RENAME TO vista_status_changes_id_seq;
   ALTER INDEX vista_state_changes_pkey RENAME TO vista_status_changes_pkey;
   ALTER INDEX vista_state_changes_by_projection RENAME TO vista_status_changes_by_projection;
   ALTER TABLE vista_projections DROP COLUMN resume_requested;`,
  // The application an installation runs, recorded by its projector processes at start-up,
  // so that a command given no application operates on this one, never on a default.
  `CREATE TABLE vista_application (
     singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     name text NOT NULL,
     module text NOT NULL,
     recorded_at timestamptz NOT NULL DEFAULT now()
   );`,
  // Partitions: each has its own checkpoint rows and status; a generation records how many
  // partitions it is built with; a projection's positions are the least over its partitions
  // (vista_positions), which is what readers are told and wait for.
  `ALTER TABLE vista_checkpoints ADD COLUMN partition integer NOT NULL DEFAULT 0;
   ALTER TABLE vista_checkpoints DROP CONSTRAINT vista_checkpoints_pkey;
   ALTER TABLE vista_checkpoints ADD PRIMARY KEY (projection, generation, partition, stream);
   ALTER TABLE vista_generations ADD COLUMN partitions integer NOT NULL DEFAULT 1;
   CREATE TABLE vista_partitions (
     projection text NOT NULL,
     generation integer NOT NULL,
     partition integer NOT NULL,
     status text NOT NULL,
     detail text,
     updated_at timestamptz NOT NULL DEFAULT now(),
     resume_requested boolean NOT NULL DEFAULT false,
     PRIMARY KEY (projection, generation, partition)
   );
   CREATE VIEW vista_positions AS
     SELECT projection, generation, stream, min(position) AS position,
            min(start_sequence) AS start_sequence, min(start_position) AS start_position,
            max(updated_at) AS updated_at
       FROM vista_checkpoints GROUP BY projection, generation, stream;
   ALTER TABLE vista_projectors ADD COLUMN workload text NOT NULL DEFAULT '';`,
  // The checks every commit makes (commit/checkpoint-store.ts, leases/fence.ts) as functions:
  // a DO block is compiled and planned anew at each run, a function call sent as a prepared
  // statement is not. Their SQLSTATEs (VC001, VL001) are what those files read.
  `CREATE FUNCTION vista_check_checkpoint(
     p_projection text, p_generation integer, p_partition integer, p_streams text[], p_positions bigint[]
   ) RETURNS void LANGUAGE plpgsql AS $$
   DECLARE stored record;
   BEGIN
     FOR stored IN
       SELECT c.stream, c.position, coalesce(e.position, 0) AS expected
         FROM vista_checkpoints c
         LEFT JOIN unnest(p_streams, p_positions) AS e(stream, position) ON e.stream = c.stream
        WHERE c.projection = p_projection AND c.generation = p_generation AND c.partition = p_partition
        FOR UPDATE OF c
     LOOP
       IF stored.position <> stored.expected THEN
         RAISE EXCEPTION '% % is at %, this writer expected %',
           p_projection, stored.stream, stored.position, stored.expected USING ERRCODE = 'VC001';
       END IF;
     END LOOP;
   END $$;
   CREATE FUNCTION vista_check_lease(p_projection text, p_partition integer, p_owner text, p_epoch bigint)
   RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM 1 FROM vista_leases
       WHERE projection = p_projection AND partition = p_partition AND owner = p_owner AND epoch = p_epoch
       FOR SHARE;
     IF NOT FOUND THEN RAISE EXCEPTION 'lease lost' USING ERRCODE = 'VL001'; END IF;
   END $$;`,
];

/** Serialises concurrent migrators (several projector processes starting at once). */
const MIGRATION_LOCK = 0x76697374; // 'vist'

export function migrate(pool: Pool): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS vista_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM vista_migrations',
    );
    const applied = rows[0]?.version ?? 0;
    for (let version = applied + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1] as string);
      await client.query('INSERT INTO vista_migrations (version) VALUES ($1)', [version]);
    }
    return MIGRATIONS.length - applied;
  });
}
