/** A call refused without trying: the store failed repeatedly and is left alone for a while. */
export class CircuitOpenError extends Error {
  readonly code = 'CIRCUIT_OPEN';
}

/**
 * Stops hammering a store that keeps failing: after `threshold` consecutive failures the
 * circuit opens for a cool-down that doubles with each further failure (up to `maxOpenMs`),
 * during which `guard` refuses at once with the last failure's reason; then one call goes
 * through (half-open), and a success closes the circuit.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private lastReason = '';

  constructor(
    private readonly what: string,
    private readonly threshold = 3,
    private readonly baseOpenMs = 1000,
    private readonly maxOpenMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get open(): boolean {
    return this.now() < this.openUntil;
  }

  /** Throws `CircuitOpenError` while the circuit is open. */
  guard(): void {
    const left = this.openUntil - this.now();
    if (left > 0) {
      throw new CircuitOpenError(
        `${this.what} circuit open for ${Math.ceil(left / 1000)} s after ${this.failures} failures: ${this.lastReason}`,
      );
    }
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  failure(reason: string): void {
    this.failures++;
    this.lastReason = reason;
    if (this.failures >= this.threshold) {
      const openMs = Math.min(this.maxOpenMs, this.baseOpenMs * 2 ** (this.failures - this.threshold));
      this.openUntil = this.now() + openMs;
    }
  }
}
