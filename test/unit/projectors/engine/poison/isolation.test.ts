import { describe, expect, it } from 'vitest';
import { DocumentRefusedError } from '../../../../../projectors/engine/poison/classification.ts';
import {
  type CommitAttempt,
  cutAtPoison,
  type IsolationPolicy,
  isolatePoison,
} from '../../../../../projectors/engine/poison/isolation.ts';

const SKIP: IsolationPolicy = { halt: false, suspect: false };
const HALT: IsolationPolicy = { halt: true, suspect: false };

/** A value a column cannot take (SQLSTATE 22003): the batch's fault. */
const outOfRange = () => Object.assign(new Error('numeric field overflow'), { code: '22003' });

/**
 * A store where the events in `poison` fail any commit that holds them, as a column refuses a
 * value: it records what committed (the messages applied, in order) and the dead letters.
 */
function store(poison: ReadonlySet<number>, fail: () => unknown = outOfRange) {
  const applied: number[] = [];
  const deadLetters: number[] = [];
  const prepared: (readonly number[])[] = [];
  const attempt: CommitAttempt<number> = async (part, found) => {
    prepared.push(part);
    return async () => {
      if (found) {
        deadLetters.push(found.message);
        if (!found.halt) applied.push(...part);
        return found.halt;
      }
      if (part.some((n) => poison.has(n))) throw fail();
      applied.push(...part);
      return false;
    };
  };
  return { attempt, applied, deadLetters, prepared };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('isolating the poison of a batch', () => {
  it('one poison event: it is dead-lettered and every other event applied, in order', async () => {
    const s = store(new Set([5]));
    const result = await isolatePoison(range(8), outOfRange(), s.attempt, SKIP);
    expect(s.deadLetters).toEqual([5]);
    expect(s.applied).toEqual(range(8));
    expect(result.halted).toBe(false);
    expect(result.poison.map((p) => p.message)).toEqual([5]);
    expect(result.committed.flat()).toEqual([1, 2, 3, 4, 6, 7, 8]);
  });

  it('two poison events: each is dead-lettered on its own', async () => {
    const s = store(new Set([2, 7]));
    await isolatePoison(range(8), outOfRange(), s.attempt, SKIP);
    expect(s.deadLetters).toEqual([2, 7]);
    expect(s.applied).toEqual(range(8));
  });

  it('all poison: every event is dead-lettered, none applied as data', async () => {
    const s = store(new Set(range(4)));
    const result = await isolatePoison(range(4), outOfRange(), s.attempt, SKIP);
    expect(s.deadLetters).toEqual([1, 2, 3, 4]);
    expect(result.committed).toEqual([]);
  });

  it('poison at either end of the batch is found', async () => {
    const first = store(new Set([1]));
    await isolatePoison(range(5), outOfRange(), first.attempt, SKIP);
    expect(first.deadLetters).toEqual([1]);
    expect(first.applied).toEqual(range(5));
    const last = store(new Set([5]));
    await isolatePoison(range(5), outOfRange(), last.attempt, SKIP);
    expect(last.deadLetters).toEqual([5]);
    expect(last.applied).toEqual(range(5));
  });

  it('a halting policy stops at the first poison event: nothing at or after it is applied', async () => {
    const s = store(new Set([3, 6]));
    const result = await isolatePoison(range(8), outOfRange(), s.attempt, HALT);
    expect(result.halted).toBe(true);
    expect(s.deadLetters).toEqual([3]);
    expect(s.applied).toEqual([1, 2]);
  });

  it('a transient failure is not the batch fault: it is thrown and nothing is tried', async () => {
    const s = store(new Set([3]));
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    await expect(isolatePoison(range(4), lost, s.attempt, SKIP)).rejects.toBe(lost);
    expect(s.prepared).toEqual([]);
  });

  it('a transient failure of a half ends the isolation with that failure, after the halves before it', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    const s = store(new Set([3]), () => lost);
    await expect(isolatePoison(range(4), outOfRange(), s.attempt, SKIP)).rejects.toBe(lost);
    expect(s.applied).toEqual([1, 2]);
    expect(s.deadLetters).toEqual([]);
  });

  it('a document the store refuses is data-dependent too', async () => {
    const refused = () =>
      new DocumentRefusedError('ELASTICSEARCH_MAPPER_PARSING_EXCEPTION', 'refused', ['p2']);
    const s = store(new Set([2]), refused);
    await isolatePoison(range(3), refused(), s.attempt, SKIP);
    expect(s.deadLetters).toEqual([2]);
    expect(s.applied).toEqual([1, 2, 3]);
  });

  it('an unexplained failure is poison only under suspicion, and then the event it narrows to halts', async () => {
    const odd = () => new Error('something odd');
    await expect(isolatePoison(range(4), odd(), store(new Set([3]), odd).attempt, SKIP)).rejects.toThrow(
      'something odd',
    );
    const s = store(new Set([3]), odd);
    const result = await isolatePoison(range(4), odd(), s.attempt, { halt: false, suspect: true });
    expect(result.halted).toBe(true);
    expect(s.deadLetters).toEqual([3]);
    expect(s.applied).toEqual([1, 2]);
  });

  it('a failure readying a part is not examined for poison: it ends the isolation', async () => {
    const s = store(new Set([3]));
    const broken = new Error('the store could not load');
    const attempt: CommitAttempt<number> = async (part, found) => {
      if (!found && part.length === 2) throw broken;
      return s.attempt(part, found);
    };
    await expect(isolatePoison(range(4), outOfRange(), attempt, SKIP)).rejects.toBe(broken);
  });
});

describe('the policy over poison found while preparing', () => {
  const found = [
    { index: 4, letter: 'e' },
    { index: 1, letter: 'b' },
  ];
  it('a skipping projection applies the whole batch and dead-letters every poison event', () => {
    expect(cutAtPoison(['a', 'b', 'c', 'd', 'e'], found, false)).toEqual({
      applied: ['a', 'b', 'c', 'd', 'e'],
      deadLetters: ['e', 'b'],
      halt: false,
      at: 5,
    });
  });

  it('a halting projection stops just before the first poison event', () => {
    expect(cutAtPoison(['a', 'b', 'c', 'd', 'e'], found, true)).toEqual({
      applied: ['a'],
      deadLetters: ['b'],
      halt: true,
      at: 1,
    });
  });

  it('without poison nothing halts', () => {
    expect(cutAtPoison(['a'], [], true)).toEqual({ applied: ['a'], deadLetters: [], halt: false, at: 1 });
  });
});
