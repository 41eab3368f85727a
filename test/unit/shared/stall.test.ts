import { describe, expect, it } from 'vitest';
import { judgeStall, lagSeconds } from '../../../shared/stall.ts';

const now = new Date('2026-12-03T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const AFTER = 60_000;

describe('stall detection', () => {
  it('a projection with lag whose positions have not moved for STALL_AFTER_S is stalled', () => {
    const stall = judgeStall(
      { status: 'catching_up', lastAdvanceAt: ago(90), streams: [{ lag: 12, pendingSince: ago(120) }] },
      AFTER,
      now,
    );
    expect(stall).toEqual({ seconds: 90, lag: 12 });
  });

  it('is not stalled while it advances, or before STALL_AFTER_S', () => {
    const facts = { status: 'catching_up', streams: [{ lag: 12, pendingSince: ago(300) }] };
    expect(judgeStall({ ...facts, lastAdvanceAt: ago(59) }, AFTER, now)).toBeUndefined();
  });

  it('an idle projection whose stream just got an event is not stalled', () => {
    expect(
      judgeStall(
        { status: 'running', lastAdvanceAt: ago(3600), streams: [{ lag: 1, pendingSince: ago(2) }] },
        AFTER,
        now,
      ),
    ).toBeUndefined();
  });

  it('without lag, or lag unknown, nothing is stalled however old the last advance', () => {
    const old = ago(3600);
    expect(
      judgeStall(
        { status: 'running', lastAdvanceAt: old, streams: [{ lag: 0, pendingSince: undefined }] },
        AFTER,
        now,
      ),
    ).toBeUndefined();
    expect(
      judgeStall(
        { status: 'running', lastAdvanceAt: old, streams: [{ lag: null, pendingSince: undefined }] },
        AFTER,
        now,
      ),
    ).toBeUndefined();
  });

  it('halted, stopped and standby keep their own status', () => {
    for (const status of ['halted', 'stopped', 'standby']) {
      expect(
        judgeStall(
          { status, lastAdvanceAt: ago(600), streams: [{ lag: 5, pendingSince: ago(600) }] },
          AFTER,
          now,
        ),
      ).toBeUndefined();
    }
  });

  it('a retrying projection that makes no progress is stalled; lag sums over streams', () => {
    expect(
      judgeStall(
        {
          status: 'retrying',
          lastAdvanceAt: ago(100),
          streams: [
            { lag: 3, pendingSince: ago(200) },
            { lag: 4, pendingSince: ago(150) },
            { lag: 0, pendingSince: undefined },
          ],
        },
        AFTER,
        now,
      ),
    ).toEqual({ seconds: 100, lag: 7 });
  });

  it('lag in seconds is how long the oldest pending event has waited', () => {
    expect(lagSeconds(5, ago(42), now)).toBe(42);
    expect(lagSeconds(0, undefined, now)).toBe(0);
    expect(lagSeconds(null, undefined, now)).toBeNull();
  });
});
