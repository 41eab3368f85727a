import { describe, expect, it } from 'vitest';
import { Backlog } from '../../../../../projectors/engine/source/backlog.ts';

describe('Backlog', () => {
  it('is drained before any source said it has more', () => {
    expect(new Backlog(2).drained).toBe(true);
  });

  it('is drained only while the newest message of every source says none follow', () => {
    const backlog = new Backlog(2);
    backlog.note(0, 5);
    expect(backlog.drained).toBe(false);
    backlog.note(1, 0);
    expect(backlog.drained).toBe(false);
    backlog.note(0, 1);
    expect(backlog.drained).toBe(false);
    backlog.note(0, 0);
    expect(backlog.drained).toBe(true);
    backlog.note(1, 3);
    backlog.note(0, 2);
    expect(backlog.drained).toBe(false);
    backlog.note(1, 0);
    expect(backlog.drained).toBe(false);
    backlog.note(0, 0);
    expect(backlog.drained).toBe(true);
    // Saying none follow again changes nothing.
    backlog.note(0, 0);
    expect(backlog.drained).toBe(true);
  });
});
