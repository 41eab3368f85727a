import type { Projection } from './define.ts';
import { ProjectionRunner, type RunnerDeps } from './runner.ts';
import { PostgresDocumentSink } from './sinks/postgres.ts';

/**
 * Runs a set of projections side by side, each in its own loop: one failing, halted or slow
 * projection never stops the others (bulkheads).
 */
export class ProjectionHost {
  readonly runners: ProjectionRunner<object>[];

  constructor(projections: readonly Projection[], deps: RunnerDeps) {
    this.runners = projections.map(
      (projection) =>
        new ProjectionRunner(
          projection,
          new PostgresDocumentSink(deps.pool, projection.name, 1, projection.target),
          deps,
          1,
        ),
    );
  }

  /** Resolves when every projection has stopped (after `signal` aborts) or halted. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.run(signal)));
  }
}
