import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REBUILD_HEAP_GROWTH_PERCENT, rebuildHeapGrowth } from '../../../shared/heap-growth.ts';

const module = fileURLToPath(new URL('../../../shared/heap-growth.ts', import.meta.url));

/**
 * A process that keeps about 25 MB alive and replaces it over and over, each object living long
 * enough to be promoted before it dies (as a projector's batches do): the largest its old
 * generation grew in the second half of the run, in MiB, with `limitHeapGrowth(percent)` applied
 * after start. The first half is left out: V8 13 (Node 24) runs its first full collection at a
 * limit of its own, whatever the percent, and only the collections after it grow by the percent.
 */
function peakOldSpaceMb(percent: number): number {
  const script = `
    const { limitHeapGrowth } = await import(${JSON.stringify(module)});
    const { getHeapSpaceStatistics } = await import('node:v8');
    limitHeapGrowth(${percent});
    const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size;
    const ring = new Array(200_000);
    let peak = 0;
    for (let i = 0; i < 6_000_000; i++) {
      ring[i % ring.length] = { id: i, text: 'event ' + i, list: [i, i + 1, i + 2] };
      if (i > 3_000_000 && i % 10_000 === 0) peak = Math.max(peak, oldSpace());
    }
    console.log(peak / 2 ** 20);`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  return Number(run.stdout);
}

describe('limitHeapGrowth', () => {
  it('holds the old generation near its live data plus the percent, where V8 alone lets it grow further', () => {
    const ownChoice = peakOldSpaceMb(0);
    const limited = peakOldSpaceMb(50);
    expect(limited).toBeLessThan(ownChoice * 0.7);
  }, 120_000);
});

describe('a rebuild hosted by vista rebuild', () => {
  it('grows its old generation by 50% unless HEAP_GROWTH_PERCENT is set, 0 (V8 decides) included', () => {
    expect(REBUILD_HEAP_GROWTH_PERCENT).toBe(50);
    expect(rebuildHeapGrowth(0, {})).toBe(50);
    expect(rebuildHeapGrowth(0, { HEAP_GROWTH_PERCENT: '' })).toBe(50);
    expect(rebuildHeapGrowth(0, { HEAP_GROWTH_PERCENT: '0' })).toBe(0);
    expect(rebuildHeapGrowth(120, { HEAP_GROWTH_PERCENT: '120' })).toBe(120);
  });
});
