import { describe, expect, it } from 'vitest';
import {
  commitUnitOfWork,
  LeaseLostError,
  StaleCheckpointError,
} from '../../../../../projectors/engine/internal.ts';
import type { Pool } from '../../../../../shared/clients/postgres.ts';

/**
 * A pooled client that records what is sent and answers once told to: `failing` names the
 * statement (by a piece of its text) that the server refuses, with its SQLSTATE.
 */
function fakePool(options: { pipeline: boolean; failing?: { text: string; code: string } }) {
  const sent: string[] = [];
  /** The statements sent as named prepared statements, as `sent` shows them. */
  const named: string[] = [];
  const pending: (() => void)[] = [];
  let aborted = false;
  const client = {
    pipeline: options.pipeline,
    on: () => undefined,
    off: () => undefined,
    release: () => undefined,
    query(query: string | { text: string; name?: string }) {
      const text = typeof query === 'string' ? query : query.text;
      const shown = text.trim().split(/\s+/).slice(0, 2).join(' ').replace(/\(.*/, '');
      sent.push(shown);
      if (typeof query !== 'string' && query.name) named.push(shown);
      return new Promise((resolve, reject) => {
        pending.push(() => {
          if (text === 'ROLLBACK') aborted = false;
          else if (options.failing && text.includes(options.failing.text)) {
            aborted = true;
            return reject(Object.assign(new Error('refused'), { code: options.failing.code }));
          } else if (aborted) return reject(Object.assign(new Error('aborted'), { code: '25P02' }));
          resolve({ rows: [], rowCount: 0 });
        });
      });
    },
  };
  let answering: NodeJS.Timeout | undefined;
  const pool = { connect: async () => client } as unknown as Pool;
  return {
    pool,
    sent,
    named,
    /** From now on the server answers in order, one statement after another. */
    answer: () => {
      answering ??= setInterval(() => pending.shift()?.(), 1);
    },
    stop: () => clearInterval(answering),
  };
}

const fence = { projection: 'p', partition: 0, owner: 'me', epoch: 3 };
const target = { projection: 'p', generation: 1, fence };
const move = (deadLetters = 0) => ({
  expected: { S: 1 },
  next: { S: 2 },
  deadLetters: Array.from({ length: deadLetters }, () => ({
    stream: 'S',
    sequence: 2,
    subject: 's',
    type: undefined,
    payload: new Uint8Array(),
    errorCode: 'X',
    error: 'x',
  })),
  resolvedDeadLetters: [],
});
/** Lets everything that can be sent without an answer be sent. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const rows = { statements: (s: { add(text: string): void }) => s.add('INSERT INTO t VALUES (1)') };

describe('commitUnitOfWork', () => {
  it('sends the whole usual batch before any answer, the fence last before COMMIT', async () => {
    const fake = fakePool({ pipeline: true });
    try {
      const committing = commitUnitOfWork(fake.pool, target, move(), rows);
      await settle();
      // Everything is on the wire before the first answer: one round trip.
      expect(fake.sent).toEqual([
        'BEGIN',
        'SELECT vista_check_checkpoint',
        'WITH moved',
        'INSERT INTO',
        'SELECT vista_check_lease',
        'COMMIT',
      ]);
      // Every statement with values is prepared: the server plans each once per connection.
      expect(fake.named).toEqual([
        'SELECT vista_check_checkpoint',
        'WITH moved',
        'INSERT INTO',
        'SELECT vista_check_lease',
      ]);
      fake.answer();
      await committing;
    } finally {
      fake.stop();
    }
  });

  it('a failing fence is a LeaseLostError, the statements behind it fail with it, and the transaction is rolled back', async () => {
    const fake = fakePool({ pipeline: true, failing: { text: 'vista_check_lease', code: 'VL001' } });
    fake.answer();
    try {
      await expect(commitUnitOfWork(fake.pool, target, move(), rows)).rejects.toBeInstanceOf(LeaseLostError);
      expect(fake.sent.at(-1)).toBe('ROLLBACK');
    } finally {
      fake.stop();
    }
  });

  it('a moved checkpoint is a StaleCheckpointError, whatever failed after it', async () => {
    const fake = fakePool({ pipeline: true, failing: { text: 'vista_check_checkpoint', code: 'VC001' } });
    fake.answer();
    try {
      await expect(commitUnitOfWork(fake.pool, target, move(), rows)).rejects.toBeInstanceOf(
        StaleCheckpointError,
      );
    } finally {
      fake.stop();
    }
  });

  it('dead letters wait for the checks first: their cap is read inside the transaction', async () => {
    const fake = fakePool({ pipeline: true });
    try {
      const committing = commitUnitOfWork(fake.pool, target, move(1), rows);
      await settle();
      // BEGIN and the compare-and-set only, until they are answered.
      expect(fake.sent).toEqual(['BEGIN', 'SELECT vista_check_checkpoint', 'WITH moved']);
      fake.answer();
      await committing;
      expect(fake.sent.slice(-3)).toEqual(['INSERT INTO', 'SELECT vista_check_lease', 'COMMIT']);
    } finally {
      fake.stop();
    }
  });

  it('a write outside comes after every statement has passed, before the fence and COMMIT', async () => {
    const fake = fakePool({ pipeline: true });
    try {
      let sentBefore: string[] | undefined;
      const outside = async () => {
        sentBefore = [...fake.sent];
      };
      fake.answer();
      await commitUnitOfWork(fake.pool, target, move(), { ...rows, outside });
      expect(sentBefore).toEqual(['BEGIN', 'SELECT vista_check_checkpoint', 'WITH moved', 'INSERT INTO']);
      expect(fake.sent.slice(4)).toEqual(['SELECT vista_check_lease', 'COMMIT']);
    } finally {
      fake.stop();
    }
  });

  it('a statement PostgreSQL refuses leaves the write outside undone', async () => {
    const fake = fakePool({ pipeline: true, failing: { text: 'INSERT INTO', code: '23514' } });
    fake.answer();
    try {
      let written = false;
      const outside = async () => {
        written = true;
      };
      await expect(commitUnitOfWork(fake.pool, target, move(), { ...rows, outside })).rejects.toMatchObject({
        code: '23514',
      });
      expect(written).toBe(false);
      expect(fake.sent.at(-1)).toBe('ROLLBACK');
    } finally {
      fake.stop();
    }
  });

  it('a write outside that fails rolls the transaction back', async () => {
    const fake = fakePool({ pipeline: true });
    fake.answer();
    try {
      const refused = new Error('refused by the store');
      const outside = () => Promise.reject(refused);
      await expect(commitUnitOfWork(fake.pool, target, move(), { ...rows, outside })).rejects.toBe(refused);
      expect(fake.sent.slice(-1)).toEqual(['ROLLBACK']);
      expect(fake.sent).not.toContain('COMMIT');
    } finally {
      fake.stop();
    }
  });

  it('on a client that does not pipeline, sends one statement at a time', async () => {
    const fake = fakePool({ pipeline: false });
    try {
      const committing = commitUnitOfWork(fake.pool, target, move(), rows);
      await settle();
      expect(fake.sent).toEqual(['BEGIN']);
      fake.answer();
      await committing;
      expect(fake.sent).toHaveLength(6);
    } finally {
      fake.stop();
    }
  });
});
