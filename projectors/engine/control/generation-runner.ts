import { commitUnitOfWork } from '../commit/unit-of-work.ts';
import type { Projection } from '../definition/define.ts';
import { derivedIndexes, viewOf } from '../definition/public-view.ts';
import type { GenerationRole } from '../generations/generations.ts';
import type { Fence, Lease } from '../leases/lease.ts';
import { ProjectionRunner, type RunnerDeps } from '../pipeline/runner.ts';
import { type BatchWriter, documentWriter, type UnitOfWork } from '../pipeline/writer.ts';
import { StatusReporter } from '../status/reporter.ts';
import { ElasticsearchDocumentSink } from '../stores/elasticsearch/search-index.ts';
import { PostgresDocumentSink } from '../stores/postgres/table.ts';
import { sqlWriter } from '../stores/sql/sql-writer.ts';
import { operatorRequests } from './operator-requests.ts';

/**
 * The runner of one generation of a projection, with its writer, its status reporter and its
 * operator requests. With `lease`, its writes and status are fenced by it; without one (a
 * benchmark, a test of one runner) they are not, and nothing else may write the generation
 * meanwhile. `writer` replaces the one the projection's kind and target would get.
 */
export function runnerFor(
  projection: Projection,
  generation: number,
  deps: RunnerDeps,
  options: { readonly role?: GenerationRole; readonly lease?: Lease; readonly writer?: BatchWriter } = {},
): ProjectionRunner {
  const { lease } = options;
  const writer = options.writer ?? writerFor(projection, generation, deps, lease);
  const status = new StatusReporter(
    deps.pool,
    projection.name,
    generation,
    options.role ?? 'live',
    deps.log,
    lease,
  );
  const control = operatorRequests(deps.pool, deps.log, projection, { writer, status });
  return new ProjectionRunner(
    projection,
    { writer, status, control, ...(lease ? { fence: lease } : {}) },
    deps,
  );
}

/**
 * The writer for one generation of a projection, by its kind and target. Its writes are fenced
 * by `fence`, the lease its owner holds; without one (a benchmark, a test of one runner) they
 * are not, and nothing else may write the generation meanwhile.
 */
export function writerFor(
  projection: Projection,
  generation: number,
  deps: RunnerDeps,
  fence?: Fence,
): BatchWriter {
  if (projection.kind === 'sql') return sqlWriter(deps.pool, projection, generation, fence);
  const { target } = projection;
  const unitOfWork: UnitOfWork = (move, write) =>
    commitUnitOfWork(deps.pool, { projection: projection.name, generation, fence }, move, write);
  if (target.kind === 'postgres') {
    // What the view lets readers filter and sort on is indexed, so no declared filter scans.
    const view = viewOf(projection);
    const declared = (target.indexes ?? []) as readonly (readonly string[])[];
    const indexes = [
      ...declared,
      ...(view ? derivedIndexes(view, declared) : []),
    ] as unknown as typeof target.indexes;
    return documentWriter(
      projection,
      new PostgresDocumentSink(deps.pool, projection.name, generation, { ...target, indexes }),
      unitOfWork,
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
    fence?.epoch ?? 0,
  );
  return documentWriter(projection, sink, unitOfWork);
}
