/**
 * The names of one generation's storage, said once for every store: a rebuild writes beside
 * the live generation under its own names, and the switch points the public name at them.
 */

/** `<base>__g<N>`: what one generation of a projection writes (a table, an index). */
export function generationName(base: string, generation: number): string {
  return `${base}__g${generation}`;
}

/** `<base>__g*`: every generation of a projection, as an index pattern. */
export function everyGeneration(base: string): string {
  return `${base}__g*`;
}

/**
 * `<view>__g<N>__lookup`: a document projection's lookup records in one generation; partition
 * k > 0 of a partitioned projection keeps its own, `<view>__g<N>__lookup_p<k>` (every partition
 * folds every event's record: see definition/partitions.ts).
 */
export function lookupTable(view: string, generation: number, partition = 0): string {
  const table = `${generationName(view, generation)}__lookup`;
  return partition === 0 ? table : `${table}_p${partition}`;
}

/** `<view>__g<N>__<table>`: one of a SQL projection's tables in one generation. */
export function sqlProjectionTable(view: string, generation: number, table: string): string {
  return `${generationName(view, generation)}__${table}`;
}
