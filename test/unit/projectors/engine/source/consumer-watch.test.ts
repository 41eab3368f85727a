import type { ConsumerInfo } from '@nats-io/jetstream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConsumerWatch } from '../../../../../projectors/engine/source/consumer-watch.ts';

const STALL_MS = 1000;

/** The watches a test made, stopped after it. */
const watches: ConsumerWatch[] = [];

/**
 * A watch of a reader at position 7 over a consumer whose server-side state the test sets (what
 * it still holds, what it delivered, or that it is gone); it counts the questions asked and the
 * replacements.
 */
function watching() {
  const state = { pending: 0, deliveredUpTo: 7, gone: false, questions: 0, answerMs: 0 };
  const info = async () => {
    state.questions++;
    if (state.answerMs) await new Promise((resolve) => setTimeout(resolve, state.answerMs));
    if (state.gone) throw new Error('consumer not found');
    return { num_pending: state.pending, delivered: { stream_seq: state.deliveredUpTo } } as ConsumerInfo;
  };
  const replaced: string[] = [];
  const watch = new ConsumerWatch(
    info,
    () => 7,
    STALL_MS,
    (reason) => replaced.push(reason),
  );
  watches.push(watch);
  return { watch, state, replaced };
}

describe('ConsumerWatch: a consumer that stalls', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const watch of watches.splice(0)) watch.stop();
    vi.useRealTimers();
  });

  it('asks nothing while messages keep coming, and nothing before a wait lasts stallMs', async () => {
    const { watch, state } = watching();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(STALL_MS / 2);
      watch.waitEnds();
      watch.waitStarts();
    }
    expect(state.questions).toBe(0);
  });

  it('replaces a consumer that holds more than it delivered after a wait of stallMs', async () => {
    const { state, replaced } = watching();
    state.pending = 3;
    await vi.advanceTimersByTimeAsync(STALL_MS * 1.5);
    expect(replaced).toEqual([`no message for ${STALL_MS} ms while the stream holds more`]);
  });

  it('replaces one that delivered messages the reader never got, and one the server lost', async () => {
    const first = watching();
    first.state.deliveredUpTo = 9;
    const second = watching();
    second.state.gone = true;
    await vi.advanceTimersByTimeAsync(STALL_MS * 1.5);
    expect(first.replaced).toHaveLength(1);
    expect(second.replaced).toHaveLength(1);
  });

  it('keeps a consumer with nothing more to deliver, asking again every stallMs of the same wait', async () => {
    const { state, replaced } = watching();
    await vi.advanceTimersByTimeAsync(STALL_MS * 3.5);
    expect(replaced).toEqual([]);
    expect(state.questions).toBe(3);
  });

  it('ignores an answer that comes after the wait ended', async () => {
    const { watch, state, replaced } = watching();
    state.pending = 3;
    state.answerMs = STALL_MS / 2;
    await vi.advanceTimersByTimeAsync(STALL_MS * 1.3);
    expect(state.questions).toBe(1);
    watch.waitEnds();
    await vi.advanceTimersByTimeAsync(STALL_MS);
    expect(replaced).toEqual([]);
  });
});
