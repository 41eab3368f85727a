/** A statement with its parameters. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
  /** Sent as a named prepared statement (`prepared` in shared/clients/postgres.ts): a text from a bounded set. */
  readonly prepared?: boolean;
}

/**
 * The write statements of one unit of work that need no answer (a store's rows, lookup
 * records): queued, then sent with the unit of work's checks and its COMMIT without waiting
 * for one another's answers (`commit/unit-of-work.ts`). A statement that fails aborts the
 * transaction, and the ones behind it fail too.
 */
export class Statements {
  private readonly queued: Statement[] = [];

  /**
   * Queues `text` with its `$n` parameters bound to `values`. The text is prepared once per
   * connection, so it must come from a bounded set (a store's statement per table): values
   * go in `values`, never into the text.
   */
  add(text: string, values: readonly unknown[] = []): void {
    this.queued.push({ text, values, prepared: true });
  }

  get list(): readonly Statement[] {
    return this.queued;
  }
}
