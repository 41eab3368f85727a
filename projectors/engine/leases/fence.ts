import type { PoolClient } from '../../../shared/clients/postgres.ts';

/**
 * Fencing: what a write of an owner must prove to land, and what a writer is told when it
 * cannot. The runner and the stores know leases only through this file: a fence they are
 * handed, and the errors that say it no longer holds.
 */

/**
 * A unit of work one process owns at a time: a projection, or one partition of it. Every
 * generation of the projection (live and building) belongs to the same lease.
 */
export interface LeaseUnit {
  readonly projection: string;
  readonly partition: number;
}

/**
 * What a write must prove to land: the owner and the epoch it acquired the lease with.
 * `assertFence` checks it inside a PostgreSQL transaction; an Elasticsearch document carries
 * the epoch in the high bits of its version.
 */
export interface Fence extends LeaseUnit {
  readonly owner: string;
  /** Grows by one at every acquisition: a fencing token no earlier owner can present. */
  readonly epoch: number;
}

/** A fence as its holder writes with it: it can tell whether it still holds, and give up. */
export interface HeldFence extends Fence {
  /** Throws `LeaseLostError` unless the lease is held and was renewed recently enough. */
  assertHeld(): void;
  /** Gives the lease up at once: a write proved that another owner has taken over. */
  surrender(reason: string): void;
}

/** This process no longer owns the unit it was writing for; nothing it writes may land. */
export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
}

/**
 * The store holds a document this writer's history cannot explain (a higher version of its own
 * epoch without the writer's events): not transient, and not an event's fault. The projection
 * halts and says so.
 */
export class StoreAheadError extends Error {
  readonly code = 'STORE_AHEAD';
}

/**
 * Checks, inside the caller's transaction, that `fence` still owns its unit. The row is
 * locked FOR SHARE until commit, so a take-over (an UPDATE of the row) waits for this
 * transaction to end: a commit either lands before the new owner starts or not at all.
 */
export async function assertFence(tx: PoolClient, fence: Fence): Promise<void> {
  const { rowCount } = await tx.query(
    `SELECT 1 FROM vista_leases
      WHERE projection = $1 AND partition = $2 AND owner = $3 AND epoch = $4 FOR SHARE`,
    [fence.projection, fence.partition, fence.owner, fence.epoch],
  );
  if (rowCount === 0) throw lost(fence);
}

/** SQLSTATE of the error `fenceStatement` raises when the lease is no longer the fence's. */
const LEASE_LOST_SQLSTATE = 'VL001'; // raised by vista_check_lease

/**
 * `assertFence` as one statement that needs no answer read, for a unit of work sent without
 * waiting: it locks the lease row FOR SHARE in the same way, and raises an error (which
 * `fenceError` reads as `LeaseLostError`) that aborts the transaction.
 */
export function fenceStatement(fence: Fence): { text: string; values: unknown[]; prepared: true } {
  // vista_check_lease (support/migrations.ts) raises LEASE_LOST_SQLSTATE.
  return {
    text: 'SELECT vista_check_lease($1, $2, $3, $4)',
    values: [fence.projection, fence.partition, fence.owner, fence.epoch],
    prepared: true,
  };
}

/** The `LeaseLostError` an error raised by `fenceStatement(fence)` stands for; undefined for any other error. */
export function fenceError(error: unknown, fence: Fence): LeaseLostError | undefined {
  if ((error as { code?: unknown } | null)?.code !== LEASE_LOST_SQLSTATE) return undefined;
  return lost(fence);
}

function lost(fence: Fence): LeaseLostError {
  return new LeaseLostError(
    `${describe(fence)}: epoch ${fence.epoch} of ${fence.owner} is no longer the lease's; another owner took over`,
  );
}

/** SQL condition: the lease of (projection $a, partition $b) is held by owner $c with epoch $d. */
export function fenceCondition(a: number, b: number, c: number, d: number): string {
  return `EXISTS (SELECT 1 FROM vista_leases
     WHERE projection = $${a} AND partition = $${b} AND owner = $${c} AND epoch = $${d})`;
}

/** A unit as messages name it: the projection, and its partition when it has several. */
export function describe(unit: LeaseUnit): string {
  return unit.partition === 0 ? unit.projection : `${unit.projection} partition ${unit.partition}`;
}
