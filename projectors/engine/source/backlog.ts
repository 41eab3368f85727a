/**
 * What the broker says is left to read of each of a projection's sources, as the newest message
 * read from each counted it (its `pending`). When no source has anything left, the messages in
 * hand are all the streams hold for now: the live tail hands its partial batch over at once
 * instead of waiting `BATCH_IDLE_MS` for more that is not coming.
 *
 * A count that stays above zero at a stream's last message (nats-server 2.9 can do that, see
 * `lagAfter` in stream-checks.ts) costs only the wait this saves: the idle timer still ends it.
 */
export class Backlog {
  private readonly left: number[];
  /** Sources whose newest message says more follow. */
  private behind = 0;

  constructor(sources: number) {
    this.left = new Array<number>(sources).fill(0);
  }

  /** The newest message read from source `index` counted `pending` messages after it. */
  note(index: number, pending: number): void {
    const before = this.left[index] ?? 0;
    if (before > 0 !== pending > 0) this.behind += pending > 0 ? 1 : -1;
    this.left[index] = pending;
  }

  /** No source has anything left to read, as far as the broker said. */
  get drained(): boolean {
    return this.behind === 0;
  }
}
