import type { Projection } from './define.ts';
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

  constructor(projections: readonly Projection[], deps: RunnerDeps) {
    this.runners = projections.map(
      (projection) => new ProjectionRunner(projection, writerFor(projection, 1, deps), deps, 1),
    );
  }

  /** Resolves when every projection has stopped (after `signal` aborts) or halted. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.run(signal)));
  }
}
