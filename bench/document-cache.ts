/**
 * The writer's document cache (projectors/engine/pipeline/document-cache.ts) as keys pass
 * through it: a projection's documents, each written and then touched again by a later event,
 * fewer and more of them than the cache holds. Beside it, a plain Map that keeps every key (no
 * recency, no eviction): what the same operations cost at least. Prints µs per set + get and
 * the ratio; a ratio that grows with the keys is a cache whose eviction costs more as it runs.
 * Usage: npx tsx bench/document-cache.ts [capacity=20000] [repetitions=5]
 */
import { DocumentCache } from '../projectors/engine/internal.ts';

const capacity = Number(process.argv[2] ?? 20_000);
const repetitions = Number(process.argv[3] ?? 5);

interface Cache {
  get(key: string): number | undefined;
  set(key: string, value: number): void;
}

/** µs per set + get: key i is written, and the key written 50 before it is touched again. */
function run(cache: Cache, keys: readonly string[]): number {
  const started = performance.now();
  for (let i = 0; i < keys.length; i++) {
    cache.set(keys[i] as string, i);
    if (i >= 50) cache.get(keys[i - 50] as string);
  }
  return ((performance.now() - started) * 1000) / keys.length;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

console.log(`| keys through a cache of ${capacity} | DocumentCache µs | plain Map µs | ratio |`);
console.log('|---|---|---|---|');
for (const total of [capacity / 2, capacity * 3, capacity * 12]) {
  const keys = Array.from({ length: total }, (_, i) => `order-${i}`);
  const cached: number[] = [];
  const plain: number[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    cached.push(run(new DocumentCache<number>(capacity), keys));
    plain.push(run(new Map<string, number>(), keys));
  }
  const [c, p] = [median(cached), median(plain)];
  console.log(`| ${total} | ${c.toFixed(3)} | ${p.toFixed(3)} | ${(c / p).toFixed(2)} |`);
}
