import { describe, expect, it } from 'vitest';
import { KeyFilter } from '../../../../../projectors/engine/pipeline/key-filter.ts';

describe('KeyFilter', () => {
  it('holds every key added: a writer never skips the load of a key it wrote', () => {
    const filter = new KeyFilter();
    const keys = Array.from({ length: 200_000 }, (_, i) => `order-${i}`);
    for (const key of keys) filter.add(key);
    expect(keys.filter((key) => !filter.mightHold(key))).toEqual([]);
  });

  it('answers no for almost every key not added, at a million keys', () => {
    const filter = new KeyFilter();
    for (let i = 0; i < 1_000_000; i++) filter.add(`o-${i}`);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mightHold(`p-${i}`)) falsePositives++;
    // 2^24 bits and 7 probes: about 0.05% in theory; twice that bounds hash imperfection.
    expect(falsePositives / 100_000).toBeLessThan(0.001);
  });

  it('degrades to more loads, not to wrong answers, when overfilled', () => {
    const filter = new KeyFilter(10, 3); // 1024 bits for 5000 keys
    for (let i = 0; i < 5000; i++) filter.add(`k${i}`);
    expect(filter.mightHold('k4999')).toBe(true);
    expect(filter.mightHold('never-added')).toBe(true);
  });
});
