import type { Projection } from '../definition/define.ts';
import { partitionsOf } from '../definition/partitions.ts';
import type { LeaseUnit } from '../leases/fence.ts';
import type { Lease, LeaseManager } from '../leases/lease.ts';
import type { ProjectionRunner } from '../pipeline/runner.ts';
import type { StatusReporter } from '../status/reporter.ts';
import { sleep } from '../support/retry.ts';
import { fairShare, toRelease, type Unit } from './balance.ts';
import type { EngineDeps } from './engine-deps.ts';
import { ProjectionSupervisor } from './supervisor.ts';

/** How long a supervisor that failed to start waits before its owner tries again. */
const SUPERVISE_RETRY_MS = 1000;

/** A unit this process owns now: its supervisor, and how to give it up. */
interface Owned {
  readonly unit: Unit;
  readonly supervisor: ProjectionSupervisor;
  /** Aborted to give the unit up gracefully (the current batch finishes, then the lease goes). */
  readonly release: AbortController;
  readonly done: Promise<void>;
}

/**
 * Runs a share of a set of projections' units (a projection, or one partition of it), each in
 * its own loop: one failing, halted or slow unit never stops the others (bulkheads). Every
 * poll it balances: it counts the processes present with the same workload, takes free units
 * up to its fair share (the units divided among them, rounded up), and gives up, gracefully,
 * those beyond it, so that a process that joins gets its share within seconds and one that
 * dies or freezes leaves its units to the others within a lease TTL. For each unit it owns it
 * runs the live generation and, during a rebuild, the building one (see `ProjectionSupervisor`).
 */
export class ProjectionHost {
  private readonly owned = new Map<string, Owned>();
  private readonly units: readonly Unit[];
  /** Rounds of supervision that failed and were retried (runners kept running). */
  supervisionFailures = 0;

  constructor(
    private readonly projections: readonly Projection[],
    private readonly deps: EngineDeps,
    private readonly leases: LeaseManager,
  ) {
    // Partition-major order: the first units of every projection come before the rest, so the
    // units a process gives up (the last) spread a projection's partitions over the processes.
    const most = Math.max(...projections.map(partitionsOf));
    const units: Unit[] = [];
    for (let partition = 0; partition < most; partition++)
      for (const projection of projections)
        if (partition < partitionsOf(projection)) units.push({ projection, partition });
    this.units = units;
  }

  /** The runners of every generation this process is running now (for tests). */
  get runners(): ProjectionRunner[] {
    return [...this.owned.values()].flatMap((o) => o.supervisor.running.map((r) => r.runner));
  }

  /** What the generations this process runs report (for metrics). */
  get reporters(): StatusReporter[] {
    return this.runners.map((r) => r.status);
  }

  /** The projections this host is responsible for, and whether it owns (a partition of) each one now. */
  get ownership(): { name: string; owned: boolean }[] {
    return this.projections.map((p) => ({
      name: p.name,
      owned: [...this.owned.values()].some((o) => o.unit.projection === p && o.supervisor.started),
    }));
  }

  /** The units this process owns now, as `projection#partition` (for tests and logs). */
  get ownedUnits(): LeaseUnit[] {
    return [...this.owned.values()].map((o) => ({
      projection: o.unit.projection.name,
      partition: o.unit.partition,
    }));
  }

  /** Ready while the database holding leases and checkpoints answers. */
  get ready(): boolean {
    return this.leases.connected;
  }

  /**
   * Balances until `signal` aborts, then stops every unit (finishing its batch) and gives the
   * leases up. A lost lease stops its unit's runners; the unit may be taken again later.
   * `waitForPeers: false` takes its units in the first round rather than after one poll.
   */
  async run(signal: AbortSignal, options: { readonly waitForPeers?: boolean } = {}): Promise<void> {
    // Present first, then one poll before taking anything: processes started together see
    // each other and split the units at once, rather than one taking all and giving half back.
    // A process that runs a unit only because nobody else does (`vista rebuild`) takes it at once.
    await this.leases.peers().catch(() => undefined);
    if (options.waitForPeers ?? true) await sleep(this.leases.pollMs, signal);
    while (!signal.aborted) {
      await this.balance(signal).catch((error: unknown) =>
        this.deps.log.warn({ err: error }, 'balancing failed; retrying'),
      );
      await sleep(this.leases.pollMs, signal);
    }
    await Promise.all([...this.owned.values()].map((o) => o.done));
    await this.leases.close();
  }

  /** One round: give up what is beyond the fair share, then take free units up to it. */
  private async balance(signal: AbortSignal): Promise<void> {
    const share = fairShare(this.units.length, await this.leases.peers());
    const kept = [...this.owned.values()].filter((o) => !o.release.signal.aborted);
    for (const unit of toRelease(
      kept.map((o) => o.unit),
      share,
    )) {
      const owned = this.owned.get(keyOf(unit));
      this.deps.log.info(
        { projection: unit.projection.name, partition: unit.partition, share },
        'giving a unit up to balance',
      );
      owned?.release.abort();
    }
    let count = Math.min(kept.length, share);
    for (const unit of this.units) {
      if (count >= share || signal.aborted) return;
      if (this.owned.has(keyOf(unit))) continue;
      const lease = await this.leases.tryAcquire({
        projection: unit.projection.name,
        partition: unit.partition,
      });
      if (!lease) continue;
      count++;
      this.own(unit, lease, signal);
    }
  }

  /** Supervises `unit` while its lease holds, until it is given up or the process stops. */
  private own(unit: Unit, lease: Lease, signal: AbortSignal): void {
    const { projection, partition } = unit;
    this.deps.log.info({ projection: projection.name, partition, epoch: lease.epoch }, 'lease acquired');
    const release = new AbortController();
    const owned = AbortSignal.any([signal, lease.lost, release.signal]);
    const supervisor = new ProjectionSupervisor(projection, lease, this.deps, () => {
      this.supervisionFailures++;
    });
    const done = (async () => {
      try {
        await supervisor.run(owned);
      } catch (error) {
        this.deps.log.error(
          { err: error, projection: projection.name, partition },
          'supervising failed; retrying',
        );
        await sleep(SUPERVISE_RETRY_MS, owned);
      } finally {
        // Only once the runners are done (their own status writes included) is `stopped` recorded.
        await supervisor.stop();
        this.owned.delete(keyOf(unit));
        await lease.release();
      }
    })();
    this.owned.set(keyOf(unit), { unit, supervisor, release, done });
  }
}

function keyOf(unit: Unit): string {
  return `${unit.projection.name}#${unit.partition}`;
}
