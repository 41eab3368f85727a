import type { Projection } from '../definition/define.ts';
import type { RunningRole } from '../generations/generations.ts';
import type { Lease } from '../leases/lease.ts';
import { ProjectionRunner } from '../pipeline/runner.ts';
import { StatusReporter } from '../status/reporter.ts';
import { type GenerationParts, generationOf } from '../stores/registry.ts';
import type { GenerationStorage } from '../stores/store.ts';
import { type EngineDeps, storeContext } from './engine-deps.ts';
import { operatorRequests } from './operator-requests.ts';

/** One generation as its owner runs it: the runner, and the storage the switch moves. */
export interface RunningGeneration {
  readonly runner: ProjectionRunner;
  readonly storage: GenerationStorage;
}

/**
 * One generation of a projection, ready to run: its storage and writer (from its store), its
 * status reporter and its operator requests, and the runner over them. With `lease`, its
 * writes and status are fenced by it; without one (a benchmark, a test of one runner) they
 * are not, and nothing else may write the generation meanwhile. `parts` replaces the storage
 * and writer its store would give.
 */
export function generationRunner(
  projection: Projection,
  generation: number,
  deps: EngineDeps,
  options: { readonly role?: RunningRole; readonly lease?: Lease; readonly parts?: GenerationParts } = {},
): RunningGeneration {
  const { lease } = options;
  const { storage, writer } =
    options.parts ?? generationOf(projection, generation, storeContext(deps), lease);
  const status = new StatusReporter(
    deps.pool,
    projection.name,
    generation,
    options.role ?? 'live',
    deps.log,
    lease,
  );
  const control = operatorRequests(deps.pool, deps.log, projection, { storage, writer, status });
  const fence = lease ? { fence: lease } : {};
  return {
    runner: new ProjectionRunner(projection, { storage, writer, status, control, ...fence }, deps),
    storage,
  };
}

/** The runner of one generation (see `generationRunner`). */
export function runnerFor(
  projection: Projection,
  generation: number,
  deps: EngineDeps,
  options: { readonly role?: RunningRole; readonly lease?: Lease; readonly parts?: GenerationParts } = {},
): ProjectionRunner {
  return generationRunner(projection, generation, deps, options).runner;
}
