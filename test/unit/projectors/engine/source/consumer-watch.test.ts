import type { Consumer } from '@nats-io/jetstream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConsumerWatch,
  STARVED,
  STARVED_CHECK_MS,
} from '../../../../../projectors/engine/source/consumer-watch.ts';

/** The watches a test made, stopped after it. */
const watches: ConsumerWatch[] = [];

/**
 * A watch over a consumer whose server-side state the test sets: how many pulls wait at the
 * server; it counts the questions asked (`info` is all the watch uses) and the replacements.
 */
function watching() {
  const state = { waiting: 1, questions: 0 };
  const consumer = {
    info: async () => {
      state.questions++;
      return { num_waiting: state.waiting, num_pending: 0, delivered: { stream_seq: 0 } };
    },
  } as unknown as Consumer;
  const replaced: string[] = [];
  const watch = new ConsumerWatch(
    consumer,
    () => 7,
    60_000,
    (reason) => replaced.push(reason),
  );
  watches.push(watch);
  return { watch, state, replaced };
}

describe('ConsumerWatch: starved pulls', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const watch of watches.splice(0)) watch.stop();
    vi.useRealTimers();
  });

  it('asks nothing before a pull was cut short, and replaces the consumer when a cut leaves no pull waiting', async () => {
    const { watch, state, replaced } = watching();
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 4);
    expect(state.questions).toBe(0);

    state.waiting = 0;
    watch.cutShort();
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 2);
    expect(replaced).toEqual([STARVED]);
  });

  it('asks once per wait while the pull it finds waits there', async () => {
    const { watch, state, replaced } = watching();
    watch.cutShort();
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 10);
    expect(state.questions).toBe(1);
    watch.waitEnds();
    watch.waitStarts();
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 10);
    expect(state.questions).toBe(2);
    expect(replaced).toEqual([]);
  });

  it('looks into a wait again when the pull is cut short after its question found the pull waiting', async () => {
    const { watch, state, replaced } = watching();
    // An earlier pull was cut short (in a catch-up, say) and nats.js pulled again by itself.
    watch.cutShort();
    watch.waitEnds();
    watch.waitStarts();
    // This wait is looked into while its pull still waits at the server…
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 2);
    expect(state.questions).toBe(1);
    expect(replaced).toEqual([]);
    // …and then that pull is cut short, before any message came: nothing is on its way.
    state.waiting = 0;
    watch.cutShort();
    await vi.advanceTimersByTimeAsync(STARVED_CHECK_MS * 2);
    expect(replaced).toEqual([STARVED]);
  });
});
