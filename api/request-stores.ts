import { createGraphQLError } from 'graphql-yoga';
import type { SearchReads, SqlReads } from '../projectors/engine/internal.ts';
import { jsonBytes } from './answer-size.ts';

/**
 * A request's share of the stores. The API's pool has 20 connections, and a request of a few
 * hundred aliased root fields used to run as many statements at once: every connection taken,
 * and another client's `order(id)` waited for one until the pool's connect timeout. Here each
 * request (each subscription event) runs its reads one at a time, on PostgreSQL and
 * Elasticsearch together, the others queued in its own queue: one request holds at most 1 of
 * the 20 connections, and the pool's own queue holds at most 1 of its reads. One, not two:
 * two heavy scans of one request kept both cores of a 2-core machine busy, and another
 * client's Elasticsearch probe went from 35 to 100 ms at the 95th percentile
 * (api-priced-work.test.ts). Relations are batched per level, so a request's reads are few.
 *
 * It also counts what the request has read (as JSON bytes, columns it did not select
 * included) against a budget: past it, every read fails with RESPONSE_TOO_LARGE, so a request
 * stops accumulating rows long before its answer could be built (the answer itself is bounded
 * by the response limit; see response-limit.ts).
 */
export const READ_SLOTS = 1;

/** At most `size` tasks at a time; the others wait in arrival order. */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Waits for a slot; the function returned gives it back (once, however often it is called). */
  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    // A finishing holder hands its slot over: `active` does not change.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

const tooLarge = (budget: number) =>
  createGraphQLError(
    `the request read more than ${budget} bytes from the read models; ask for fewer items, or page`,
    { extensions: { code: 'RESPONSE_TOO_LARGE' } },
  );

/**
 * The stores as one request sees them: `pool` and `es` run through the request's slots and
 * are charged to its read budget. `nextEvent()` starts a subscription's next event afresh.
 */
export class RequestStores {
  readonly pool: SqlReads;
  readonly es: SearchReads;
  private readonly slots: Slots;
  private read = 0;

  constructor(pool: SqlReads, es: SearchReads, budget: number, signal?: AbortSignal, slots = READ_SLOTS) {
    this.slots = new Slots(slots);
    const run = async <T>(work: () => Promise<T>, size: (result: T) => unknown): Promise<T> => {
      const result = await this.slots.run(async () => {
        // Checked once the read's turn has come: a request's reads are all asked for at once
        // and wait their turn, and those after the budget ran out must not run.
        if (this.read > budget) throw tooLarge(budget);
        // A client that went away needs nothing more read for it.
        signal?.throwIfAborted();
        const read = await work();
        // Charged before the slot passes on, so the next read's check sees it.
        this.read += jsonBytes(size(read), budget - this.read);
        return read;
      });
      if (this.read > budget) throw tooLarge(budget);
      return result;
    };
    this.pool = {
      query: (text, values) =>
        run(
          () => pool.query(text, values),
          (result) => result.rows,
        ),
    };
    this.es = {
      search: (params) =>
        run(
          () => es.search(params),
          (result) => result.hits.hits,
        ),
      count: (params) =>
        run(
          () => es.count(params),
          () => 0,
        ),
    };
  }

  /** A subscription's next event: its reads start a budget of their own. */
  nextEvent(): void {
    this.read = 0;
  }
}
