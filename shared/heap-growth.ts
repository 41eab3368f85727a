import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets a process's old generation grow past what survived its last full
 * collection before it collects again: `percent` 50 starts the next one at 1.5× the survivors.
 * 0 leaves it to V8, which for a process with gigabytes of heap limit grows it by a factor up to
 * 4 when collections look cheap beside the work done.
 *
 * Why a projector wants it: a batch's objects (raw messages, their bytes, decoded events, rows)
 * outlive two scavenges while the batch is folded and committed, so they are promoted and die in
 * the old generation; with V8's own factor a rebuild's old generation grows to 3–4× its 40–70 MB
 * of live data before a full collection, and the messages' ArrayBuffers wait for it too
 * (bench/README.md, "Peak RSS of a rebuild"). A fixed factor trades that RSS for more full
 * collections, i.e. CPU. V8 reads the flag at each full collection, so setting it after start
 * takes effect (unlike `--max-old-space-size` or the semi-space sizes, fixed when the heap is made).
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * What a rebuild hosted by `vista rebuild` grows its old generation by: HEAP_GROWTH_PERCENT where
 * it is set, else 50. Such a rebuild reads the whole history in one catch-up, beside the live
 * projector, and its peak RSS is where memory runs short: 231–253 MB at 50 against 360–410 MB
 * with V8's own growth, for about 9% more CPU per event at the same events/s (bench/README.md,
 * "Peak RSS of a rebuild"). A projector process keeps V8's own unless told otherwise: its live
 * tail holds little, and the CPU is its freshness.
 */
export const REBUILD_HEAP_GROWTH_PERCENT = 50;

export function rebuildHeapGrowth(
  configured: number,
  env: Readonly<Record<string, string | undefined>>,
): number {
  return env.HEAP_GROWTH_PERCENT === undefined || env.HEAP_GROWTH_PERCENT === ''
    ? REBUILD_HEAP_GROWTH_PERCENT
    : configured;
}
