import type { Projection } from '../definition/define.ts';
import type { LeaseManager } from '../leases/lease.ts';
import type { ProjectionRunner } from '../pipeline/runner.ts';
import type { StatusReporter } from '../status/reporter.ts';
import { sleep } from '../support/retry.ts';
import type { EngineDeps } from './engine-deps.ts';
import { ProjectionSupervisor } from './supervisor.ts';

/** How long a supervisor that failed to start waits before its owner tries again. */
const SUPERVISE_RETRY_MS = 1000;

/**
 * Runs a set of projections side by side, each in its own loop: one failing, halted or slow
 * projection (or store) never stops the others (bulkheads). For each projection it owns, it
 * runs the live generation and, during a rebuild, the building one beside it, and switches
 * the public name over when the building generation has caught up.
 */
export class ProjectionHost {
  private readonly active = new Map<string, ProjectionSupervisor>();
  /** Rounds of supervision that failed and were retried (runners kept running). */
  supervisionFailures = 0;

  constructor(
    private readonly projections: readonly Projection[],
    private readonly deps: EngineDeps,
    private readonly leases: LeaseManager,
  ) {}

  /** The runners of every generation this process is running now (for tests). */
  get runners(): ProjectionRunner[] {
    return [...this.active.values()].flatMap((supervisor) => supervisor.running.map((r) => r.runner));
  }

  /** What the generations this process runs report (for metrics). */
  get reporters(): StatusReporter[] {
    return this.runners.map((r) => r.status);
  }

  /** The projections this host is responsible for, and whether it owns each one now. */
  get ownership(): { name: string; owned: boolean }[] {
    return this.projections.map((p) => ({ name: p.name, owned: this.active.get(p.name)?.started === true }));
  }

  /** Ready while the database holding leases and checkpoints answers. */
  get ready(): boolean {
    return this.leases.connected;
  }

  /**
   * Runs every projection this process can lease, standing by for the others, until `signal`
   * aborts. A lost lease stops its runners, which then stand by again.
   */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.projections.map((projection) => this.own(projection, signal)));
    await this.leases.close();
  }

  /**
   * The ownership loop of one projection: acquire its lease (waiting as a standby), supervise
   * it while the lease holds, give it up, and stand by again. A balancer that acquires units
   * (projection, partition) would replace this loop and hand each unit to a supervisor.
   */
  private async own(projection: Projection, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const lease = await this.leases.acquire(projection.name, signal);
      if (!lease) return;
      this.deps.log.info({ projection: projection.name, epoch: lease.epoch }, 'lease acquired');
      const owned = AbortSignal.any([signal, lease.lost]);
      const supervisor = new ProjectionSupervisor(projection, lease, this.deps, () => {
        this.supervisionFailures++;
      });
      this.active.set(projection.name, supervisor);
      try {
        await supervisor.run(owned);
      } catch (error) {
        this.deps.log.error({ err: error, projection: projection.name }, 'supervising failed; retrying');
        await sleep(SUPERVISE_RETRY_MS, owned);
      } finally {
        // Only once the runners are done (their own status writes included) is `stopped` recorded.
        await supervisor.stop();
        this.active.delete(projection.name);
        await lease.release();
      }
    }
  }
}
