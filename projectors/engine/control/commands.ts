import type { NatsConnection } from '@nats-io/transport-node';
import { inTransaction, type Pool, type PoolClient } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import {
  type ActionRecord,
  COMMAND_QUEUE,
  type CommandReply,
  type CommandRequest,
  CommandRequestSchema,
} from '../../../shared/operator-commands.ts';
import { CHECKPOINT_CHANNEL } from '../commit/checkpoint-store.ts';
import { requestRebuild } from '../generations/generations.ts';
import { requestPartitionsResume, requestRetry } from './operator-requests.ts';

type Outcome = { outcome: 'accepted' | 'refused'; detail: string };

/**
 * Executes one operator command with the projector's own database role and records it in
 * `vista_operator_actions` (what, when, from where, and what came of it). Commands only set
 * the control flags the owner of the projection acts on within a second or two (rebuild
 * requested, letters marked for retry, resume), so any projector process may execute them.
 *
 * @example
 *   const action = await executeCommand(pool, {
 *     command: { action: 'start_rebuild', projection: 'orders' }, origin: { via: 'cli' } });
 *   console.log(action.outcome, action.detail);
 */
export async function executeCommand(pool: Pool, request: CommandRequest): Promise<ActionRecord> {
  const { command, origin } = request;
  const known = await pool.query('SELECT 1 FROM vista_projections WHERE name = $1', [command.projection]);
  let result: Outcome;
  if (known.rowCount === 0) {
    result = { outcome: 'refused', detail: `no projection named ${command.projection} has run yet` };
  } else if (command.action === 'start_rebuild') {
    result = (await requestRebuild(pool, command.projection))
      ? { outcome: 'accepted', detail: 'rebuild requested: its owner starts a new generation' }
      : { outcome: 'refused', detail: 'a rebuild is already in progress' };
  } else if (command.action === 'retry_dead_letters') {
    const marked = await requestRetry(pool, command.projection);
    result = {
      outcome: 'accepted',
      detail: `${marked} dead letter${marked === 1 ? '' : 's'} marked for retry; a halted projection resumes`,
    };
  } else {
    result = await inTransaction(pool, (tx) => skipDeadLetter(tx, command.projection, command.deadLetterId));
  }
  const { rows } = await pool.query<{ id: number; at: Date }>(
    `INSERT INTO vista_operator_actions (projection, action, dead_letter_id, origin, outcome, detail)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, at`,
    [
      command.projection,
      command.action,
      command.action === 'skip_dead_letter' ? command.deadLetterId : null,
      JSON.stringify(origin),
      result.outcome,
      result.detail,
    ],
  );
  const row = rows[0] as { id: number; at: Date };
  return {
    id: Number(row.id),
    projection: command.projection,
    action: command.action,
    deadLetterId: command.action === 'skip_dead_letter' ? command.deadLetterId : null,
    origin,
    ...result,
    at: row.at.toISOString(),
  };
}

/**
 * Resolves a dead letter without applying it. A projection that skips poison events has
 * already moved past it; one that halted on it still stands just before it, so its checkpoint
 * moves over that one event (only from exactly the position before it: compare-and-set, in
 * this transaction) and it is asked to resume.
 */
async function skipDeadLetter(tx: PoolClient, projection: string, id: number): Promise<Outcome> {
  const { rows } = await tx.query<{ stream: string; sequence: number; generation: number }>(
    `UPDATE vista_dead_letters SET resolved_at = now(), resolution = 'skipped', retry_requested_at = NULL
      WHERE projection = $1 AND id = $2 AND resolved_at IS NULL RETURNING stream, sequence, generation`,
    [projection, id],
  );
  const letter = rows[0];
  if (!letter) return { outcome: 'refused', detail: `no unresolved dead letter #${id} in ${projection}` };
  const moved = await tx.query(
    `UPDATE vista_checkpoints c SET position = $4, updated_at = now()
       FROM vista_generations g
      WHERE c.projection = $1 AND c.stream = $2 AND c.position = $3 AND c.generation = $5
        AND g.projection = c.projection AND g.generation = c.generation
        AND g.role IN ('live', 'building') AND g.status = 'halted'
        -- Only partitions that halted on it: another one passing by that position moves on its own.
        AND EXISTS (SELECT 1 FROM vista_partitions h WHERE h.projection = c.projection
                     AND h.generation = c.generation AND h.partition = c.partition AND h.status = 'halted')`,
    [projection, letter.stream, letter.sequence - 1, letter.sequence, letter.generation],
  );
  if ((moved.rowCount ?? 0) === 0) {
    return { outcome: 'accepted', detail: `${letter.stream} #${letter.sequence} skipped` };
  }
  // The letter's generation (live or building) halted on it; its runner polls this flag.
  await tx.query(
    'UPDATE vista_generations SET resume_requested = true WHERE projection = $1 AND generation = $2',
    [projection, letter.generation],
  );
  await requestPartitionsResume(tx, projection, letter.generation);
  await tx.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, projection]);
  return {
    outcome: 'accepted',
    detail: `${letter.stream} #${letter.sequence} skipped; the halted projection resumes after it`,
  };
}

/**
 * Answers operator commands on `subject` (one queue group across projector processes, so each
 * command runs once) until `signal` aborts. A malformed request is answered, never thrown.
 *
 * @example
 *   const stop = new AbortController();
 *   const serving = serveCommands(nats.connection, commandSubject(namespace), pool, log, stop.signal);
 *   // …on shutdown: stop.abort(); await serving;
 */
export async function serveCommands(
  connection: NatsConnection,
  subject: string,
  pool: Pool,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const subscription = connection.subscribe(subject, { queue: COMMAND_QUEUE });
  const stop = () => subscription.unsubscribe();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const message of subscription) {
      let reply: CommandReply;
      const parsed = CommandRequestSchema.safeParse(
        (() => {
          try {
            return message.json();
          } catch {
            return undefined;
          }
        })(),
      );
      if (!parsed.success) {
        reply = { ok: false, error: 'malformed operator command' };
      } else {
        try {
          const action = await executeCommand(pool, parsed.data);
          log.info({ ...action, origin: action.origin }, 'operator action');
          reply = { ok: true, action };
        } catch (error) {
          log.error({ err: error, command: parsed.data.command }, 'operator command failed');
          reply = { ok: false, error: 'the projector could not execute the command; retry shortly' };
        }
      }
      message.respond(JSON.stringify(reply));
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
