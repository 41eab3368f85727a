import type { Projection } from '../definition/define.ts';

/**
 * Balanced ownership, as pure arithmetic (the host does the I/O): how many units a process
 * may own, and which it gives up when it owns more.
 */

/** One unit of ownership: a projection, or one partition of it. */
export interface Unit {
  readonly projection: Projection;
  readonly partition: number;
}

/**
 * The most units one of `processes` peers may own: the units divided among them, rounded up,
 * so the peers together can own all of them and none owns more than one over another.
 */
export function fairShare(units: number, processes: number): number {
  return Math.ceil(units / Math.max(1, processes));
}

/**
 * Which of `owned` to give up to come down to `share`: each time one of the projection this
 * process holds most partitions of (its highest partition), so that a projection's partitions
 * spread over the processes and catch up in parallel.
 */
export function toRelease(owned: readonly Unit[], share: number): Unit[] {
  const kept = [...owned];
  const released: Unit[] = [];
  while (kept.length > share) {
    const counts = new Map<Projection, number>();
    for (const unit of kept) counts.set(unit.projection, (counts.get(unit.projection) ?? 0) + 1);
    let pick = 0;
    for (let i = 1; i < kept.length; i++) {
      const a = kept[i] as Unit;
      const b = kept[pick] as Unit;
      const byCount = (counts.get(a.projection) ?? 0) - (counts.get(b.projection) ?? 0);
      if (byCount > 0 || (byCount === 0 && a.partition > b.partition)) pick = i;
    }
    released.push(...kept.splice(pick, 1));
  }
  return released;
}
