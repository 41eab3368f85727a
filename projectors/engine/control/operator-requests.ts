import { inTransaction, type Pool } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Projection } from '../definition/define.ts';
import { partitionsOf } from '../definition/partitions.ts';
import { requestRebuild, restartGeneration } from '../generations/generations.ts';
import type { RunnerControl } from '../pipeline/runner-parts.ts';
import type { BatchWriter } from '../pipeline/writer.ts';
import { settleDeadLetters } from '../poison/dead-letters.ts';
import { listDeadLetters } from '../status/dead-letter-reads.ts';
import type { StatusReporter } from '../status/reporter.ts';
import type { GenerationStorage } from '../stores/store.ts';
import { sleep } from '../support/retry.ts';

/** What operator requests act on: the generation's storage, its writer and its status. */
interface RequestedOf {
  readonly storage: GenerationStorage;
  readonly writer: BatchWriter;
  readonly status: StatusReporter;
}

/** How often a running or halted generation looks for operator requests. */
const CONTROL_POLL_MS = 1000;

/**
 * What operators ask of one generation (`retry-dead-letters`, `skip-dead-letter`), as its
 * runner takes it: the requests are flags in the catalog, set by any projector process
 * (`commands.ts`) and polled here by the generation's owner.
 */
export function operatorRequests(
  pool: Pool,
  log: Logger,
  projection: Projection,
  generation: RequestedOf,
): RunnerControl {
  const { name } = projection;
  const { status } = generation;
  const logger = log.child({ projection: name, generation: status.generation });
  return {
    beforeStart: () => retryDeadLetters(pool, logger, projection, generation),
    async waitForResume(signal) {
      while (!signal.aborted) {
        if (await takeResumeRequest(pool, name, status.generation, status.partition).catch(() => false)) {
          logger.info('resuming on operator request');
          return;
        }
        await sleep(CONTROL_POLL_MS, signal);
      }
    },
    watchResume() {
      const requested = new AbortController();
      // One poll at a time: a row held by a switch must not collect a queue of them, each
      // holding a pooled connection.
      let polling = false;
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        takeResumeRequest(pool, name, status.generation, status.partition)
          .then(
            (taken) => {
              if (taken) requested.abort();
            },
            () => undefined,
          )
          .finally(() => {
            polling = false;
          });
      }, CONTROL_POLL_MS);
      return { signal: requested.signal, close: () => clearInterval(timer) };
    },
  };
}

/**
 * Acts on dead letters an operator asked to retry (after a fix was deployed). A halting
 * projection's checkpoint is still before its poison event, so resuming re-reads it from the
 * stream, in order. A skipping one has applied later events already, and re-applying an old
 * event on top of them would not give the in-order fold (a placement after its cancellation,
 * an old category after a newer one): its letters are retried by replaying the history, in
 * order, into a fresh generation. The live generation asks for a rebuild and keeps serving
 * (its letters go with it when it is retired); a building generation, which nobody reads,
 * starts over from sequence 1.
 */
async function retryDeadLetters(
  pool: Pool,
  log: Logger,
  projection: Projection,
  { storage, writer, status }: RequestedOf,
): Promise<void> {
  const { generation } = status;
  const partitioned = partitionsOf(projection) > 1;
  // A generation's letters are all its partitions': the owner of partition 0 replays them.
  if (partitioned && status.partition !== 0 && (projection.onPoison ?? 'skip') === 'skip') return;
  const letters = await listDeadLetters(pool, projection.name, { generation, retryRequestedOnly: true });
  if (letters.length === 0) return;
  const ids = letters.map((l) => l.id);
  if ((projection.onPoison ?? 'skip') === 'halt') {
    await inTransaction(pool, (tx) => settleDeadLetters(tx, projection.name, generation, [], ids));
    return;
  }
  if (status.role === 'building' && partitioned) {
    // Starting a building generation over in place would pull its storage from under the
    // other partitions' writers: its letters wait until it is live (then a rebuild replays them).
    log.warn(
      { letters: letters.length },
      'dead letters of a partitioned building generation are retried once it is live',
    );
    return;
  }
  if (status.role === 'building') {
    await storage.drop();
    await restartGeneration(pool, projection.name, generation);
    await storage.ensure('building');
    await writer.start();
    log.info({ letters: letters.length }, 'retrying dead letters: the building generation starts over');
    return;
  }
  const rebuilding = await requestRebuild(pool, projection.name);
  // With a rebuild under way, the building generation replays these events itself.
  await acknowledgeRetry(pool, projection.name, generation, ids);
  log.info(
    { letters: letters.length, rebuilding },
    'retrying dead letters by replaying the history into a new generation',
  );
}

/**
 * Asks the owner of each current generation of a projection (live, and building during a
 * rebuild) to retry that generation's unresolved dead letters (after a fix was deployed) and,
 * if it halted, to resume. Returns how many letters were marked.
 */
export async function requestRetry(pool: Pool, projection: string): Promise<number> {
  const marked = await pool.query(
    `UPDATE vista_dead_letters d SET retry_requested_at = now()
      WHERE projection = $1 AND resolved_at IS NULL
        AND generation IN (SELECT generation FROM vista_generations
                            WHERE projection = $1 AND role IN ('live', 'building'))`,
    [projection],
  );
  await pool.query(
    `UPDATE vista_generations SET resume_requested = true WHERE projection = $1 AND role IN ('live', 'building')`,
    [projection],
  );
  await requestPartitionsResume(pool, projection);
  return marked.rowCount ?? 0;
}

/** Marks a retry request as taken in hand (the letters stay open until replayed or retired). */
async function acknowledgeRetry(
  pool: Pool,
  projection: string,
  generation: number,
  ids: readonly number[],
): Promise<void> {
  await pool.query(
    `UPDATE vista_dead_letters SET retry_requested_at = NULL
      WHERE projection = $1 AND generation = $2 AND id = ANY($3::bigint[])`,
    [projection, generation, ids],
  );
}

/**
 * Asks every partition of the current generations to resume: each takes its own request (a
 * generation's one flag would be taken by whichever partition polled first).
 */
export async function requestPartitionsResume(
  db: { query: Pool['query'] },
  projection: string,
  generation?: number,
): Promise<void> {
  await db.query(
    `UPDATE vista_partitions p SET resume_requested = true FROM vista_generations g
      WHERE p.projection = $1 AND g.projection = p.projection AND g.generation = p.generation
        AND g.role IN ('live', 'building') AND ($2::integer IS NULL OR p.generation = $2)`,
    [projection, generation ?? null],
  );
}

/**
 * True (once) when an operator asked this generation (this partition of it) to resume; clears
 * the request. A generation of one partition also takes the generation's flag.
 */
async function takeResumeRequest(
  pool: Pool,
  projection: string,
  generation: number,
  partition: number,
): Promise<boolean> {
  const { rows } = await pool.query<{ taken: number }>(
    `WITH g AS (
       UPDATE vista_generations SET resume_requested = false
        WHERE projection = $1 AND generation = $2 AND resume_requested AND partitions = 1 RETURNING 1),
     p AS (
       UPDATE vista_partitions SET resume_requested = false
        WHERE projection = $1 AND generation = $2 AND partition = $3 AND resume_requested RETURNING 1)
     SELECT (SELECT count(*) FROM g) + (SELECT count(*) FROM p) AS taken`,
    [projection, generation, partition],
  );
  return Number(rows[0]?.taken ?? 0) > 0;
}
