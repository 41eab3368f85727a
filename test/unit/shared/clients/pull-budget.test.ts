import { describe, expect, it } from 'vitest';
import { PullBudget } from '../../../../shared/clients/pull-budget.ts';

const MIB = 1024 * 1024;
/** A server with the default max_payload of 1 MiB. */
const budget = (total: number) => new PullBudget(total, () => MIB);

describe('PullBudget', () => {
  it('gives each reader an equal part, rounded down to a power of two, the parts together within the budget', () => {
    const b = budget(32 * MIB);
    const shares = Array.from({ length: 6 }, () => b.join());
    const bytes = shares.map((s) => s.renew().bytes);
    expect(bytes).toEqual(Array(6).fill(4 * MIB));
    expect(bytes.reduce((a, n) => a + n, 0)).toBeLessThanOrEqual(32 * MIB);
  });

  it('never gives less than two of the largest messages the server takes', () => {
    const b = budget(4 * MIB);
    const shares = Array.from({ length: 8 }, () => b.join());
    expect(shares[0]?.renew().bytes).toBeGreaterThanOrEqual(2 * MIB);
    expect(b.messageBytes).toBeGreaterThan(MIB);
  });

  it('tells running readers to start over when their part halves or doubles, and only then', () => {
    const b = budget(32 * MIB);
    const first = b.join();
    const grant = first.renew();
    expect(grant.bytes).toBe(32 * MIB);
    const second = b.join();
    expect(grant.signal.aborted).toBe(true);
    expect(grant.signal.reason).toBe('pull budget re-divided');
    const regrant = first.renew();
    expect(regrant.bytes).toBe(16 * MIB);
    second.renew();
    // A third reader: 32/3 rounds down to 8 MiB, so both shrink.
    const third = b.join();
    expect(regrant.signal.aborted).toBe(true);
    const [a, c] = [first.renew(), second.renew()];
    third.renew();
    // A fourth: still 8 MiB each; nobody starts over.
    const fourth = b.join();
    fourth.renew();
    expect(a.signal.aborted || c.signal.aborted).toBe(false);
    // Two leave: 16 MiB each again, worth a new consumer.
    third.leave();
    fourth.leave();
    expect(a.signal.aborted && c.signal.aborted).toBe(true);
    expect(first.renew().bytes).toBe(16 * MIB);
  });

  it('tells every reader to start over when asked (a reconnect lost what was in flight)', () => {
    const b = budget(32 * MIB);
    const grants = [b.join(), b.join()].map((s) => s.renew());
    b.restartAll('reconnected');
    expect(grants.map((g) => g.signal.reason)).toEqual(['reconnected', 'reconnected']);
  });
});
