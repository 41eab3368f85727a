import type { Projection } from './define.ts';
import type { LeaseManager } from './lease.ts';
import { recordState } from './projection-catalog.ts';
import { ProjectionRunner, type RunnerDeps } from './runner.ts';
import { ElasticsearchDocumentSink } from './sinks/elasticsearch.ts';
import { PostgresDocumentSink } from './sinks/postgres.ts';
import { sqlWriter } from './sinks/sql.ts';
import { type BatchWriter, documentWriter } from './writer.ts';

/** The writer for one generation of a projection, by its kind and target. */
export function writerFor(projection: Projection, generation: number, deps: RunnerDeps): BatchWriter {
  if (projection.kind === 'sql') return sqlWriter(deps.pool, projection, generation);
  const { target } = projection;
  if (target.kind === 'postgres') {
    return documentWriter(
      projection,
      new PostgresDocumentSink(deps.pool, projection.name, generation, target),
    );
  }
  const sink = new ElasticsearchDocumentSink(
    deps.es,
    deps.pool,
    deps.log,
    projection.name,
    deps.streams.namespace,
    generation,
    target,
  );
  return documentWriter(projection, sink);
}

/**
 * Runs a set of projections side by side, each in its own loop: one failing, halted or slow
 * projection (or sink) never stops the others (bulkheads).
 */
export class ProjectionHost {
  readonly runners: ProjectionRunner[];

  constructor(
    projections: readonly Projection[],
    private readonly deps: RunnerDeps,
    private readonly leases: LeaseManager,
  ) {
    this.runners = projections.map(
      (projection) => new ProjectionRunner(projection, writerFor(projection, 1, deps), deps, 1),
    );
  }

  /**
   * Runs every projection this process can lease, standing by for the others, until `signal`
   * aborts. A lost lease stops its runner, which then stands by again.
   */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.runners.map((runner) => this.own(runner, signal)));
    await this.leases.close();
  }

  private async own(runner: ProjectionRunner, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      runner.standBy();
      const lease = await this.leases.acquire(runner.name, signal);
      if (!lease) return;
      this.deps.log.info({ projection: runner.name }, 'lease acquired');
      try {
        await runner.run(AbortSignal.any([signal, lease.lost]));
        if (!lease.lost.aborted) {
          await recordState(this.deps.pool, runner.name, 'stopped', null).catch(() => undefined);
        }
      } finally {
        await lease.release();
      }
    }
  }
}
