/**
 * A loop's pause that an event can cut short: the loop still wakes on its own every `ms`, and a
 * `wake()` ends the current pause at once, or the next one if none is under way (so a wake that
 * comes while the loop is busy is not lost). A supervisor's rounds use it to switch to a
 * rebuilt generation as soon as it catches up rather than at the next poll.
 */
export class WakeableSleep {
  private waking: (() => void) | undefined;
  private woken = false;

  /** Ends the pause under way, or makes the next one end at once. */
  wake(): void {
    if (this.waking) this.waking();
    else this.woken = true;
  }

  /** Resolves after `ms`, on `wake()`, or when `signal` aborts, whichever comes first. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.woken || signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waking = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waking = done;
    });
  }
}
