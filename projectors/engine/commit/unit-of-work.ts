import { type Pool, type PoolClient, prepared, withClient } from '../../../shared/clients/postgres.ts';
import { type Fence, fenceError, fenceStatement } from '../leases/fence.ts';
import { type DeadLetter, settleDeadLetters } from '../poison/dead-letters.ts';
import { advanceCheckpointStatements, checkpointError } from './checkpoint-store.ts';
import type { Positions } from './positions.ts';
import { type Statement, Statements } from './statements.ts';

export { Statements } from './statements.ts';

/** What a batch does besides its view changes, all made durable together with them. */
export interface CheckpointMove {
  /** The checkpoint this writer read; a different stored one means another writer moved it. */
  readonly expected: Positions;
  readonly next: Positions;
  readonly deadLetters: readonly DeadLetter[];
  /** Ids of retried dead letters this batch applies. */
  readonly resolvedDeadLetters: readonly number[];
}

/** The generation a unit of work commits to. */
export interface UnitOfWorkTarget {
  readonly projection: string;
  readonly generation: number;
  /**
   * The lease the writer holds, checked in the transaction (last, just before COMMIT): a
   * commit of an owner that was taken over fails with `LeaseLostError`. Undefined only where one process runs alone
   * without leases (benchmarks, specs, tests of one runner).
   */
  readonly fence: Fence | undefined;
}

/** What a unit of work writes besides the checkpoint and the dead letters. */
export interface UnitOfWorkWrites {
  /** Queues statements that need no answer (a store's rows, lookup records): they cost no round trip of their own. */
  readonly statements?: (statements: Statements) => void;
  /** Work that reads inside the transaction (a SQL projection's handler), after the checks. */
  readonly interactive?: (tx: PoolClient) => Promise<void>;
  /**
   * A write to a store that cannot share the transaction (Elasticsearch's `_bulk`), made once
   * every statement of the transaction has passed and before its COMMIT: PostgreSQL refusing
   * the batch's data leaves the store untouched, and the store refusing it rolls the
   * transaction back. A COMMIT that fails after it (a lost connection) is retried: the store
   * must take the same write twice without harm.
   */
  readonly outside?: () => Promise<void>;
}

/**
 * The one place a batch becomes durable in PostgreSQL: one short transaction that checks and
 * moves the checkpoint (a compare-and-set done by the server, which also queues the NOTIFY
 * readers wake on), writes the batch's statements, records its dead letters and checks the
 * owner's lease epoch (the fence). Work on a store that cannot share the transaction
 * (Elasticsearch's `_bulk`) is done inside it, after every statement has passed and before the
 * fence and COMMIT: a batch PostgreSQL refuses for its data (a poison event) never reaches the
 * other store, whose writes cannot be taken back. The transaction then stays open for the
 * store's write; a hanging store is bounded by the pool's idle-in-transaction timeout, and
 * holds no lock on the lease row, which only the fence takes, last.
 *
 * On a pool in pipeline mode (the engine's), the usual batch (rows, lookups, no dead letter)
 * is one round trip: BEGIN, the compare-and-set, the rows, the fence and COMMIT are sent
 * without waiting for each other's answers; with a write outside, two (everything before it,
 * then the fence and COMMIT). A check that fails raises an error, which aborts the
 * transaction: every statement behind it fails and COMMIT rolls back. Dead letters (their cap
 * is read in the transaction) and interactive work wait for the checks first.
 */
export function commitUnitOfWork(
  pool: Pool,
  target: UnitOfWorkTarget,
  move: CheckpointMove,
  writes: UnitOfWorkWrites,
): Promise<void> {
  const statements = new Statements();
  writes.statements?.(statements);
  const checks: Statement[] = [
    { text: 'BEGIN' },
    // The fence's partition is the checkpoint's: a partition commits with its own lease.
    ...advanceCheckpointStatements(
      target.projection,
      target.generation,
      target.fence?.partition ?? 0,
      move.expected,
      move.next,
    ),
  ];
  // The fence goes last: its row lock (FOR SHARE, until COMMIT) then holds up a renewal or a
  // take-over of the lease for the COMMIT only, not for the whole batch's writes (nor for a
  // write outside). Checked last it fences as well: a take-over committed before it makes it
  // fail, one after it waits for this COMMIT, so the new owner reads a checkpoint that holds
  // this batch.
  const end: Statement[] = [...(target.fence ? [fenceStatement(target.fence)] : []), { text: 'COMMIT' }];
  // Dead letters and interactive work need the checks' answers first; the rest needs none.
  const answered = !!writes.interactive || move.deadLetters.length > 0 || move.resolvedDeadLetters.length > 0;
  return withClient(pool, async (tx) => {
    try {
      let queued: Statement[] = checks;
      if (answered) {
        await send(tx, checks);
        await writes.interactive?.(tx);
        await settleDeadLetters(
          tx,
          target.projection,
          target.generation,
          move.deadLetters,
          move.resolvedDeadLetters,
        );
        queued = [];
      }
      queued = [...queued, ...statements.list];
      if (writes.outside) {
        await send(tx, queued);
        await writes.outside();
        queued = [];
      }
      await send(tx, [...queued, ...end]);
    } catch (error) {
      // The transaction is aborted (or never began): end it, whatever the session's state.
      await tx.query('ROLLBACK').catch(() => undefined);
      throw (target.fence && fenceError(error, target.fence)) ?? checkpointError(error) ?? error;
    }
  });
}

/**
 * Sends `list` in order: all at once on a pipelined client (one round trip), one after the
 * other on any other. Throws the first failure in order: what follows it in the transaction
 * only failed because of it.
 */
async function send(tx: PoolClient, list: readonly Statement[]): Promise<void> {
  const queries = list.map(({ text, values, prepared: named }) =>
    named ? prepared(text, values) : { text, values: values as unknown[] | undefined },
  );
  if (!tx.pipeline) {
    for (const query of queries) await tx.query(query);
    return;
  }
  const sent = await Promise.allSettled(queries.map((query) => tx.query(query)));
  for (const result of sent) if (result.status === 'rejected') throw result.reason;
}
