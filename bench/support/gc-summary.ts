import { GCProfiler } from 'node:v8';

/**
 * What V8's collector did on this thread's heap over a stretch of a benchmark: how often each
 * kind of collection ran and how long it held the thread, and how much the scavenges promoted
 * into the old generation. What a catch-up promotes is what its full collections must then mark
 * and sweep, and where a heap growth limit (a rebuild's HEAP_GROWTH_PERCENT) makes them come
 * sooner: the figure to follow when a change is meant to let a batch's objects die young.
 */
export interface GcSummary {
  readonly scavenges: number;
  readonly scavengeMs: number;
  /** Growth of the old generation (large objects included) across the scavenges. */
  readonly promotedBytes: number;
  /**
   * The part of it that is large objects (over V8's regular object size, 128 KB: a long string
   * or array), promoted by moving their pages, not copied.
   */
  readonly promotedLargeBytes: number;
  /** Full collections (mark-sweep-compact), and their incremental marking steps beside. */
  readonly fullCollections: number;
  readonly fullMs: number;
  readonly markingSteps: number;
  readonly markingMs: number;
}

interface SpaceStatistics {
  readonly spaceName: string;
  readonly spaceUsedSize: number;
}

interface GcStatistic {
  readonly gcType: string;
  /** In microseconds. */
  readonly cost: number;
  readonly beforeGC: { readonly heapSpaceStatistics: readonly SpaceStatistics[] };
  readonly afterGC: { readonly heapSpaceStatistics: readonly SpaceStatistics[] };
}

const usedIn = (spaces: readonly SpaceStatistics[], names: ReadonlySet<string>): number =>
  spaces.reduce((sum, space) => (names.has(space.spaceName) ? sum + space.spaceUsedSize : sum), 0);

/**
 * Collections of the young generation: scavenges, or V8's mark-compact of it where a flag turns
 * that on instead (`--minor-mc`, named MinorMarkCompact by Node 20, MinorMarkSweep later).
 */
const YOUNG = new Set(['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep']);
const OLD = new Set(['old_space', 'large_object_space']);
const LARGE = new Set(['large_object_space']);

/** How much the spaces `names` grew across one collection. */
const growth = (gc: GcStatistic, names: ReadonlySet<string>): number =>
  Math.max(0, usedIn(gc.afterGC.heapSpaceStatistics, names) - usedIn(gc.beforeGC.heapSpaceStatistics, names));

/** Starts counting this thread's collections; `stop` sums them. */
export function startGcSummary(): { stop(): GcSummary } {
  const profiler = new GCProfiler();
  profiler.start();
  return {
    stop() {
      const statistics = (profiler.stop() as unknown as { statistics: GcStatistic[] }).statistics;
      return summarize(statistics);
    },
  };
}

function summarize(statistics: readonly GcStatistic[]): GcSummary {
  let scavenges = 0;
  let scavengeUs = 0;
  let promotedBytes = 0;
  let promotedLargeBytes = 0;
  let fullCollections = 0;
  let fullUs = 0;
  let markingSteps = 0;
  let markingUs = 0;
  for (const gc of statistics) {
    if (YOUNG.has(gc.gcType)) {
      scavenges++;
      scavengeUs += gc.cost;
      promotedBytes += growth(gc, OLD);
      promotedLargeBytes += growth(gc, LARGE);
    } else if (gc.gcType === 'MarkSweepCompact') {
      fullCollections++;
      fullUs += gc.cost;
    } else if (gc.gcType === 'IncrementalMarking') {
      markingSteps++;
      markingUs += gc.cost;
    }
  }
  return {
    scavenges,
    scavengeMs: scavengeUs / 1000,
    promotedBytes,
    promotedLargeBytes,
    fullCollections,
    fullMs: fullUs / 1000,
    markingSteps,
    markingMs: markingUs / 1000,
  };
}

/**
 * One line: `GC: 36 scavenges 181 ms, 120.3 MB promoted (1.50 KB per event, 80.1 MB of it large
 * objects); 3 full 35 ms (+ 52 marking steps 11 ms)`.
 */
export function describeGc(gc: GcSummary, events: number): string {
  return (
    `  GC: ${gc.scavenges} scavenges ${gc.scavengeMs.toFixed(0)} ms, ${(gc.promotedBytes / 1e6).toFixed(1)} MB promoted ` +
    `(${(gc.promotedBytes / events / 1000).toFixed(2)} KB per event, ${(gc.promotedLargeBytes / 1e6).toFixed(1)} MB of it large objects); ${gc.fullCollections} full ${gc.fullMs.toFixed(0)} ms ` +
    `(+ ${gc.markingSteps} marking steps ${gc.markingMs.toFixed(0)} ms)`
  );
}
