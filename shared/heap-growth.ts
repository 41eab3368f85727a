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
