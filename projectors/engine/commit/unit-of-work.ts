import { inTransaction, type Pool, type PoolClient } from '../../../shared/clients/postgres.ts';
import { assertFence, type Fence } from '../leases/fence.ts';
import { type DeadLetter, settleDeadLetters } from '../poison/dead-letters.ts';
import { advanceCheckpoint } from './checkpoint-store.ts';
import type { Positions } from './positions.ts';

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
   * The lease the writer holds, checked first in the transaction: a commit of an owner that
   * was taken over fails with `LeaseLostError`. Undefined only where one process runs alone
   * without leases (benchmarks, specs, tests of one runner).
   */
  readonly fence: Fence | undefined;
}

/**
 * The one place a batch becomes durable in PostgreSQL: one short transaction that checks the
 * owner's lease epoch (the fence), checks and moves the checkpoint (compare-and-set, which
 * also queues the NOTIFY readers wake on), runs `write` (a store's rows, a SQL projection's statements, lookup records) and records the
 * batch's dead letters. Work on a store that cannot share the transaction (Elasticsearch's
 * `_bulk`) is done before this is called, never inside it: a hanging store must not hold a
 * PostgreSQL transaction open.
 */
export function commitUnitOfWork(
  pool: Pool,
  target: UnitOfWorkTarget,
  move: CheckpointMove,
  write: (tx: PoolClient) => Promise<void>,
): Promise<void> {
  return inTransaction(pool, async (tx) => {
    if (target.fence) await assertFence(tx, target.fence);
    // The fence's partition is the checkpoint's: a partition commits with its own lease.
    const partition = target.fence?.partition ?? 0;
    await advanceCheckpoint(tx, target.projection, target.generation, partition, move.expected, move.next);
    await write(tx);
    await settleDeadLetters(
      tx,
      target.projection,
      target.generation,
      move.deadLetters,
      move.resolvedDeadLetters,
    );
  });
}
