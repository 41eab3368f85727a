import type { Projection } from '../definition/define.ts';
import { describeStart, FROM_BEGINNING } from '../definition/start-position.ts';
import {
  forgetGeneration,
  type Generation,
  type Generations,
  generationsToDrop,
  readGenerations,
  rebuildRequested,
  reconcileGenerations,
  type StartResolver,
} from '../generations/generations.ts';
import { assertPartitionCount, partitionsRunning } from '../generations/partition-counts.ts';
import { switchGeneration } from '../generations/switch.ts';
import { assertFence } from '../leases/fence.ts';
import type { Lease } from '../leases/lease.ts';
import type { ProjectionRunner } from '../pipeline/runner.ts';
import { resolveStart } from '../source/start-sequence.ts';
import { storageOf } from '../stores/registry.ts';
import type { GenerationStorage } from '../stores/store.ts';
import { WakeableSleep } from '../support/wakeable-sleep.ts';
import { type EngineDeps, storeContext } from './engine-deps.ts';
import { generationRunner } from './generation-runner.ts';

/**
 * How often an owner looks for rebuild requests and whether a building generation can take
 * over; a building generation that catches up in this process starts a round at once.
 */
const SUPERVISE_POLL_MS = 1000;

/** A generation running in this process: its runner, its storage, and how to stop it. */
interface Running {
  readonly runner: ProjectionRunner;
  readonly storage: GenerationStorage;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/**
 * What the owner of a projection does while its lease holds: runs the live generation and,
 * during a rebuild, the building one beside it, starts requested rebuilds, switches the public
 * name over when the building generation has caught up, and drops retired generations. It
 * is handed the lease; who acquires leases, and for which units, is the host's (or a
 * balancer's) business.
 */
export class ProjectionSupervisor {
  /** The generations running now. */
  readonly running: Running[] = [];
  /** Whether the generations were reconciled with the code and their runners started. */
  started = false;
  /** The pause between rounds, cut short when a building generation here catches up. */
  private readonly pause = new WakeableSleep();

  constructor(
    private readonly projection: Projection,
    private readonly lease: Lease,
    private readonly deps: EngineDeps,
    /** Told of each round that failed and is retried (the runners keep running). */
    private readonly roundFailed: () => void,
  ) {}

  /** Supervises until `signal` aborts (the lease is lost, or the process stops). */
  run(signal: AbortSignal): Promise<void> {
    return this.supervise(this.projection, this.lease, signal);
  }

  /**
   * Stops every runner and waits for them; then, only while the lease is still the owner's,
   * records `stopped` (after a lost lease the projection's status belongs to its new owner).
   */
  async stop(): Promise<void> {
    const { running } = this;
    for (const r of running) r.stop.abort();
    await Promise.all(running.map((r) => r.done));
    const live = running.find((r) => r.runner.status.role === 'live');
    if (!this.lease.lost.aborted && live) await live.runner.status.recordStopped();
  }

  /**
   * Whether this owner keeps the projection's generations (starts rebuilds, switches, drops
   * retired storage): the owner of partition 0. The owners of other partitions run what the
   * catalog says, following it round by round.
   */
  private get coordinates(): boolean {
    return this.lease.partition === 0;
  }

  /** While the lease is held: keep the generations running, start rebuilds, switch. */
  private async supervise(projection: Projection, lease: Lease, signal: AbortSignal): Promise<void> {
    const resolveStarts = this.startResolver(projection);
    let generations = await reconcileGenerations(this.deps.pool, projection, resolveStarts, {
      takesRebuilds: this.coordinates,
    });
    assertPartitionCount(projection, generations);
    const { running } = this;
    this.started = true;
    const start = (generation: Generation) => {
      const { runner, storage } = generationRunner(projection, generation.generation, this.deps, {
        role: generation.role,
        lease,
      });
      // Caught up, a building generation can take over: the round that switches need not wait.
      if (generation.role === 'building')
        runner.status.watch((status) => {
          if (status === 'running' && runner.status.role === 'building') this.pause.wake();
        });
      const stop = new AbortController();
      const entry = { runner, storage, stop, done: runner.run(AbortSignal.any([signal, stop.signal])) };
      running.push(entry);
      return entry;
    };
    // A live generation of another version was built by other code: it keeps serving, frozen,
    // until the new version's generation takes over.
    // Likewise a building generation is built only by the code of its version: another version
    // would fill it with other documents and switch to it under the wrong version. Processes of
    // other versions leave it for one of its own.
    if (generations.live?.version === projection.version) start(generations.live);
    if (generations.building?.version === projection.version) start(generations.building);
    // When this owner last pointed the public name at the live generation (see dropRetired).
    const pointed = { at: Date.now() };
    // The first round resyncs: a switch whose catalog half committed but whose alias did not
    // move (a crash between them) is repaired then, the public name following the catalog
    // whatever version serves; should Elasticsearch be down, every later round tries again.
    let resync = true;
    while (!signal.aborted) {
      await this.pause.sleep(SUPERVISE_POLL_MS, signal);
      if (signal.aborted) break;
      // A status write lost (a blip) is written again, even on an idle stream; a lag the
      // last messages over-claimed is corrected from the streams, without holding the round
      // up when the broker is slow to answer (a failure waits for the next round).
      for (const r of running) {
        r.runner.status.recordIfLost();
        void r.runner
          .refreshLag()
          .catch((error: unknown) =>
            this.deps.log.debug({ err: error, projection: projection.name }, 'could not refresh lag'),
          );
      }
      try {
        if (resync) {
          generations = await readGenerations(this.deps.pool, projection.name);
          await this.matchRunners(generations, running);
          if (generations.live) await this.finishSwitch(projection, generations.live.generation);
          pointed.at = Date.now();
          resync = false;
        }
        if (!this.coordinates) {
          generations = await this.follow(projection, running, start);
          continue;
        }
        generations = await this.superviseOnce(
          projection,
          lease,
          resolveStarts,
          generations,
          running,
          start,
          pointed,
        );
        await this.dropRetired(projection, pointed.at);
      } catch (error) {
        // A blip of PostgreSQL, or a switch that failed half-way, must not stop the runners or
        // give up the lease: the next round re-reads the generations and carries on.
        this.roundFailed();
        resync = true;
        this.deps.log.warn({ err: error, projection: projection.name }, 'supervising failed; retrying');
      }
    }
  }

  /** One round: start a requested rebuild, switch to a building generation that caught up. */
  private async superviseOnce(
    projection: Projection,
    lease: Lease,
    resolveStarts: Parameters<typeof reconcileGenerations>[2],
    current: Generations,
    running: Running[],
    start: (generation: Generation) => Running,
    pointed: { at: number },
  ): Promise<Generations> {
    let generations = current;
    if (!generations.building && (await rebuildRequested(this.deps.pool, projection.name))) {
      generations = await reconcileGenerations(this.deps.pool, projection, resolveStarts);
      if (generations.building?.version === projection.version) {
        this.deps.log.info(
          { projection: projection.name, generation: generations.building.generation },
          'rebuild started',
        );
        start(generations.building);
      }
    }
    const building = generations.building;
    const candidate = building && running.find((r) => r.runner.generation === building.generation);
    if (!building || !candidate || candidate.runner.progress.status !== 'running') return generations;
    if (!(await partitionsRunning(this.deps.pool, projection.name, building))) return generations;
    // The PostgreSQL half commits first (catalog, views), then the alias follows: a crash in
    // between leaves the catalog right and the alias behind, which the next start repairs. The
    // other order would leave the alias on a generation the catalog never made live.
    await candidate.storage.prepareSwitch?.();
    const switched = await switchGeneration(
      this.deps.pool,
      projection.name,
      generations.live,
      building,
      async (tx) => {
        // Only the owner switches: a stale one waking up here finds another epoch and fails.
        await assertFence(tx, lease);
        await candidate.storage.switchWithin?.(tx);
      },
    );
    if (!switched) return generations;
    candidate.runner.status.setRole('live');
    this.deps.log.info(
      { projection: projection.name, from: generations.live?.generation, to: building.generation },
      'switched to the rebuilt generation',
    );
    if (generations.live) await this.stopRetired(generations.live.generation, running);
    // Should this fail, the round is retried as a resync, which finishes the switch again.
    await candidate.storage.finishSwitch?.();
    pointed.at = Date.now();
    return { live: { ...building, role: 'live' }, building: undefined };
  }

  /**
   * A round of an owner of a partition other than 0: runs the building generation once the
   * coordinator has started one, and follows its switches (matchRunners).
   */
  private async follow(
    projection: Projection,
    running: Running[],
    start: (generation: Generation) => Running,
  ): Promise<Generations> {
    const generations = await readGenerations(this.deps.pool, projection.name);
    const { building } = generations;
    if (
      building?.version === projection.version &&
      !running.some((r) => r.runner.generation === building.generation)
    )
      start(building);
    await this.matchRunners(generations, running);
    return generations;
  }

  /**
   * After a failed round, makes the runners match the catalog: a generation that was switched
   * to goes live, one that was retired is stopped (its storage is dropped later).
   */
  private async matchRunners(generations: Generations, running: Running[]) {
    for (const r of [...running]) {
      const { generation } = r.runner;
      if (generation === generations.live?.generation) {
        if (r.runner.status.role !== 'live') {
          // Another partition's owner switched: this partition's writes must now be searchable
          // before its checkpoint moves (an Elasticsearch index refreshes after every batch).
          await r.storage.prepareSwitch?.();
          r.runner.status.setRole('live');
        }
      } else if (generation !== generations.building?.generation) {
        await this.stopRetired(generation, running);
      }
    }
  }

  /** Resolves where each source of a new generation starts: the operator's choice, else the definition's. */
  private startResolver(projection: Projection): StartResolver {
    return async (override) => {
      const starts: Awaited<ReturnType<StartResolver>> = {};
      for (const source of projection.sources) {
        const start = override?.[source.stream] ?? source.start ?? FROM_BEGINNING;
        const { js, jsm, streams } = this.deps;
        starts[source.stream] = {
          sequence: await resolveStart(js, jsm, streams, source.stream, start),
          described: describeStart(start),
        };
      }
      return starts;
    };
  }

  /** Points the public name at the live generation where the catalog's transaction cannot (an alias). */
  private async finishSwitch(projection: Projection, generation: number): Promise<void> {
    await storageOf(projection, generation, storeContext(this.deps)).finishSwitch?.();
  }

  /** Stops a retired generation's runner; its storage stays until `dropRetired`. */
  private async stopRetired(generation: number, running: Running[]): Promise<void> {
    const index = running.findIndex((r) => r.runner.generation === generation);
    const old = running[index];
    if (!old) return;
    old.stop.abort();
    await old.done;
    running.splice(index, 1);
  }

  /**
   * Drops the storage, then the checkpoints, of generations retired longer ago than the grace
   * period, counted from the switch and from when this owner last pointed the public name at
   * the live generation: a search that started on a retired index before the alias moved away
   * from it (at most a query timeout long) finishes before the index goes. The catalog keeps
   * what is still to drop, so a restart drops what its predecessor left.
   */
  private async dropRetired(projection: Projection, pointedAt: number): Promise<void> {
    if (Date.now() - pointedAt < this.deps.retireGraceMs) return;
    for (const generation of await generationsToDrop(
      this.deps.pool,
      projection.name,
      this.deps.retireGraceMs,
    )) {
      await storageOf(projection, generation, storeContext(this.deps)).drop();
      await forgetGeneration(this.deps.pool, projection.name, generation);
    }
  }
}
