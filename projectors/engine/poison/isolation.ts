import { isTransient } from '../support/retry.ts';
import { isDataDependent } from './classification.ts';

/** How a projection treats poison: halt at it or skip it, and whether any lasting failure counts. */
export interface IsolationPolicy {
  /** The projection halts at a poison event (`onPoison: 'halt'`) instead of skipping it. */
  readonly halt: boolean;
  /**
   * A batch has failed repeatedly for a reason not known to be transient: any failure that is
   * not transient is treated as poison now, and the event it is narrowed down to halts the
   * projection, with a dead letter naming it.
   */
  readonly suspect: boolean;
}

/** Whether a failed commit is the batch's fault (find the event) rather than the stores' (retry it whole). */
export function isPoison(error: unknown, policy: IsolationPolicy): boolean {
  return isDataDependent(error) || (policy.suspect && !isTransient(error));
}

/** One event a part of the batch was narrowed down to, and the failure it causes. */
export interface PoisonFound<M> {
  readonly message: M;
  readonly error: unknown;
  /** Whether its dead letter halts the projection (the checkpoint stays before it). */
  readonly halt: boolean;
}

/**
 * One try at committing `part` of a batch, in two steps: readying it (decoding and folding it
 * afresh; a failure here ends the isolation and is thrown) and committing it (a failure here is
 * examined for poison). With `poison`, the part is that one event, committed as a dead letter.
 * The commit resolves true when it halts the projection.
 */
export type CommitAttempt<M> = (
  part: readonly M[],
  poison?: PoisonFound<M>,
) => Promise<() => Promise<boolean>>;

/** What isolating the poison of a batch did, in order. */
export interface Isolation<M> {
  /** The parts that committed, in commit order (their own decode and fold poison included). */
  readonly committed: (readonly M[])[];
  /** The events the failure was narrowed down to, each committed as a dead letter. */
  readonly poison: PoisonFound<M>[];
  /** Whether a dead letter halted the projection: nothing after it was committed. */
  readonly halted: boolean;
}

/**
 * Commits a batch whose whole commit failed with `failure`, around the events it fails on.
 * When the failure is not the batch's fault (a store is down) it is thrown: the batch is
 * retried whole. Otherwise the batch is bisected: each half that commits is kept, a half that
 * fails for its data is bisected again, and a single event that still fails is dead-lettered
 * under `policy`. Halves commit in order, so the checkpoint never passes an event that was
 * neither applied nor dead-lettered; a halting dead letter ends it.
 *
 * Pure: everything it does goes through `attempt`.
 *
 * @example
 *   const { halted } = await isolatePoison(batch, error, (part, poison) => prepare(part, poison), policy);
 */
export async function isolatePoison<M>(
  batch: readonly M[],
  failure: unknown,
  attempt: CommitAttempt<M>,
  policy: IsolationPolicy,
): Promise<Isolation<M>> {
  const committed: (readonly M[])[] = [];
  const poison: PoisonFound<M>[] = [];
  const isolate = async (part: readonly M[], error: unknown): Promise<boolean> => {
    if (!isPoison(error, policy)) throw error;
    if (part.length === 1) {
      const found = { message: part[0] as M, error, halt: policy.halt || policy.suspect };
      poison.push(found);
      const commit = await attempt(part, found);
      return commit();
    }
    const middle = Math.ceil(part.length / 2);
    for (const half of [part.slice(0, middle), part.slice(middle)]) {
      const commit = await attempt(half);
      try {
        const halted = await commit();
        committed.push(half);
        if (halted) return true;
      } catch (halfFailure) {
        if (await isolate(half, halfFailure)) return true;
      }
    }
    return false;
  };
  const halted = await isolate(batch, failure);
  return { committed, poison, halted };
}

/** The poison found while preparing a batch (it does not decode, or its view's code throws). */
export interface PreparedPoison<L> {
  /** Its place in the batch. */
  readonly index: number;
  readonly letter: L;
}

/** What a batch commits under the policy, given the poison its preparation found. */
export interface PoisonCut<M, L> {
  /** The messages the checkpoint moves past. */
  readonly applied: readonly M[];
  readonly deadLetters: readonly L[];
  /** The batch stops before a poison event that halts the projection. */
  readonly halt: boolean;
  /** With `halt`: the index of the first poison event, where the batch stops. */
  readonly at: number;
}

/**
 * A skipping projection applies the whole batch and dead-letters its poison. A halting one
 * stops just before the first poison event: it is recorded, nothing at or after it is
 * applied, and the checkpoint stays before it so a restart meets it again.
 */
export function cutAtPoison<M, L>(
  batch: readonly M[],
  found: readonly PreparedPoison<L>[],
  halts: boolean,
): PoisonCut<M, L> {
  if (!halts || found.length === 0) {
    return { applied: batch, deadLetters: found.map((p) => p.letter), halt: false, at: batch.length };
  }
  const first = found.reduce((a, b) => (b.index < a.index ? b : a));
  return { applied: batch.slice(0, first.index), deadLetters: [first.letter], halt: true, at: first.index };
}
