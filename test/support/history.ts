import type { OutgoingEvent } from '../../projectors/engine/internal.ts';

/**
 * A random merge of the events' per-stream sequences: each stream keeps its own order, the
 * order across streams is shuffled (a payment may now come long before its order).
 */
export function shuffleAcrossStreams(events: readonly OutgoingEvent[], seed: number): OutgoingEvent[] {
  const queues = new Map<string, OutgoingEvent[]>();
  for (const e of events) {
    const queue = queues.get(e.eventType.stream) ?? [];
    queue.push(e);
    queues.set(e.eventType.stream, queue);
  }
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const heads = [...queues.values()].map((queue) => ({ queue, at: 0 }));
  const merged: OutgoingEvent[] = [];
  while (merged.length < events.length) {
    const open = heads.filter((h) => h.at < h.queue.length);
    const pick = open[Math.floor(next() * open.length)] as (typeof open)[number];
    merged.push(pick.queue[pick.at++] as OutgoingEvent);
  }
  return merged;
}
