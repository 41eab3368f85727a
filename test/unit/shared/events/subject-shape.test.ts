import { describe, expect, it } from 'vitest';
import { DEFAULT_SUBJECT_SHAPE, typeSubject } from '../../../../shared/events/subject-shape.ts';

const shaped = (shape: Parameters<typeof typeSubject>[0], type = 'bank.money_deposited.v1') => {
  const result = typeSubject(shape, type);
  if ('problems' in result) throw new Error(result.problems.join('; '));
  return result;
};

describe('subject shapes', () => {
  it('gives Vista’s own subjects by default', () => {
    const subject = shaped(DEFAULT_SUBJECT_SHAPE, 'orders.order_placed.v1');
    expect(subject.subjectOf('o-1')).toBe('orders.order_placed.o-1');
    expect(subject.filter).toBe('orders.order_placed.*');
  });

  it('places the aggregate id and the parts of the type where a pattern says', () => {
    const subject = shaped('bank.{version}.{aggregateId}.{event}');
    expect(subject.subjectOf('acc-7')).toBe('bank.v1.acc-7.money_deposited');
    expect(subject.filter).toBe('bank.v1.*.money_deposited');
    expect(shaped('ledger.{context}.all').subjectOf('acc-7')).toBe('ledger.bank.all');
    expect(shaped('{aggregateId}').subjectOf('acc-7')).toBe('acc-7');
  });

  it('takes a function from the type and the aggregate id', () => {
    const subject = shaped(({ type, aggregateId }) => `legacy.${aggregateId}.${type.split('.')[1]}`);
    expect(subject.subjectOf('acc-7')).toBe('legacy.acc-7.money_deposited');
    expect(subject.filter).toBeUndefined();
  });

  it('reads the aggregate id back from a subject of a pattern, and from no other subject', () => {
    const subject = shaped('bank.{version}.{aggregateId}.{event}');
    expect(subject.aggregateIdOf('bank.v1.acc-7.money_deposited')).toBe('acc-7');
    expect(subject.aggregateIdOf(subject.subjectOf('a.b'))).toBe('a.b');
    expect(subject.aggregateIdOf('bank.v1.acc-7.money_withdrawn')).toBeUndefined();
    expect(subject.aggregateIdOf('bank.v1..money_deposited')).toBeUndefined();
    expect(
      shaped(DEFAULT_SUBJECT_SHAPE, 'orders.order_placed.v1').aggregateIdOf('orders.order_placed.o-1'),
    ).toBe('o-1');
    expect(shaped('ledger.{context}.all').aggregateIdOf('ledger.bank.all')).toBeUndefined();
  });

  it('reads no aggregate id back through a function shape', () => {
    const subject = shaped(({ aggregateId }) => `legacy.${aggregateId}`);
    expect(subject.aggregateIdOf('legacy.acc-7')).toBeUndefined();
  });

  it.each([
    ['bank.{aggregate}.x', /unknown placeholder \{aggregate\}/],
    ['bank.acc-{aggregateId}', /token "acc-\{aggregateId\}" is not a NATS subject token/],
    ['bank.*.{aggregateId}', /token "\*"/],
    ['bank..{aggregateId}', /token ""/],
    ['{aggregateId}.{aggregateId}', /names \{aggregateId\} twice/],
  ])('refuses the pattern %s, saying why', (shape, problem) => {
    const result = typeSubject(shape, 'bank.money_deposited.v1');
    expect('problems' in result && result.problems.join('; ')).toMatch(problem);
  });

  it('refuses a function that throws or gives no subject', () => {
    const throws = typeSubject(() => {
      throw new Error('no map for it');
    }, 'bank.x.v1');
    expect('problems' in throws && throws.problems[0]).toBe('its subject shape throws: no map for it');
    const blank = typeSubject(() => 'bank. x', 'bank.x.v1');
    expect('problems' in blank && blank.problems[0]).toMatch(/gives "bank\. x", not a NATS subject/);
  });
});
