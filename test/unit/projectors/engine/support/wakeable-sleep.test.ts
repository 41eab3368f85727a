import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeableSleep } from '../../../../../projectors/engine/support/wakeable-sleep.ts';

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('WakeableSleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends on its own after the time given', async () => {
    const pause = new WakeableSleep();
    const slept = pause.sleep(1000, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(slept)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(slept)).toBe(true);
  });

  it('ends at once when woken, and the next pause lasts its full time again', async () => {
    const pause = new WakeableSleep();
    const signal = new AbortController().signal;
    const first = pause.sleep(1000, signal);
    expect(await settled(first)).toBe(false);
    pause.wake();
    expect(await settled(first)).toBe(true);
    const second = pause.sleep(1000, signal);
    await vi.advanceTimersByTimeAsync(500);
    expect(await settled(second)).toBe(false);
  });

  it('keeps a wake that comes between pauses for the next one, once', async () => {
    const pause = new WakeableSleep();
    const signal = new AbortController().signal;
    pause.wake();
    pause.wake();
    expect(await settled(pause.sleep(1000, signal))).toBe(true);
    expect(await settled(pause.sleep(1000, signal))).toBe(false);
  });

  it('ends when its signal aborts, and does not start on an aborted one', async () => {
    const pause = new WakeableSleep();
    const stop = new AbortController();
    const slept = pause.sleep(1000, stop.signal);
    stop.abort();
    expect(await settled(slept)).toBe(true);
    expect(await settled(pause.sleep(1000, stop.signal))).toBe(true);
  });
});
