import type { Contract } from '../../../shared/events/contract.ts';
import type { OutgoingEvent } from '../../../shared/events/publish.ts';
import type { Projection } from './define.ts';
import { partitioningProblems } from './partitions.ts';
import { servedViews } from './served-views.ts';

/** How much demo history to generate, reproducibly. */
export interface DemoOptions {
  readonly events: number;
  readonly seed: number;
}

/**
 * One application Vista runs: its event contract, the projections over it and, optionally, a
 * demo history for `npm start` and `vista publish-demo`. The engine, the API and the CLI take
 * an application; none of them knows a particular one.
 */
export interface Application<C extends Contract = Contract> {
  readonly name: string;
  readonly contract: C;
  readonly projections: readonly Projection[];
  /** A seeded history of events of the contract, generated lazily (it may be long). */
  readonly demo?: (options: DemoOptions) => Iterable<OutgoingEvent>;
}

export class ApplicationError extends Error {
  readonly code = 'APPLICATION_INVALID';
}

/**
 * Declares an application and checks what its parts cannot check alone: projection names are
 * unique (they are public names), every projection reads this contract's streams, and the
 * served views fit together (relations name views and fields that exist; GraphQL names do not
 * clash). Every process loads the application through here, so each refuses the same mistakes.
 *
 * @example
 * export default defineApplication({ name: 'shop', contract: shop, projections: [orders, products] });
 */
export function defineApplication<C extends Contract>(application: {
  readonly name: string;
  readonly contract: C;
  readonly projections: readonly Projection[];
  readonly demo?: (options: DemoOptions) => Iterable<OutgoingEvent>;
}): Application<C> {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9_-]{0,40}$/.test(application.name))
    problems.push(`name ${JSON.stringify(application.name)}: lower-case letters, digits, _ and -`);
  const { projections } = application;
  if (projections.length === 0) problems.push('projections: at least one');
  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) problems.push(`projection ${p.name} is defined twice`);
    names.add(p.name);
    // Also for projections built without their define function (a spread with other partitions).
    for (const problem of partitioningProblems(p.kind, p)) problems.push(`projection ${p.name}: ${problem}`);
    for (const source of p.sources)
      if (!application.contract.streams.some((s) => s.name === source.stream))
        problems.push(`projection ${p.name}: stream ${source.stream} is not in this application's contract`);
  }
  if (problems.length === 0) {
    try {
      servedViews(projections);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0)
    throw new ApplicationError(`invalid application ${application.name}:\n  ${problems.join('\n  ')}`);
  return { ...application, projections };
}
