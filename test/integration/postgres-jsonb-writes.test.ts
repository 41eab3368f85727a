import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresGeneration, Statements } from '../../projectors/engine/internal.ts';
import { inTransaction } from '../../shared/clients/postgres.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.cleanup();
});

/** JSON that an array literal would have to escape: quotes, backslashes, escapes spelled out, non-ASCII. */
const awkward = [
  '"quoted"',
  'back\\slash',
  '\\"both\\"',
  'tab\tnew\nline',
  'é 😀',
  '{"not":"an object"}',
  '',
  'NULL',
];

type Doc = { title: string; tags: unknown; extra: unknown };

async function generationNamed(name: string): Promise<PostgresGeneration<Doc, unknown>> {
  const generation = new PostgresGeneration<Doc, unknown>(env.infrastructure.pool, name, 1, {
    columns: { title: 'text', tags: 'jsonb', extra: 'jsonb' },
    indexes: [],
  });
  await generation.ensure('building');
  return generation;
}

/** Runs the statements in one transaction, as a commit does. */
const commit = (statements: Statements) =>
  inTransaction(env.infrastructure.pool, async (tx) => {
    for (const { text, values } of statements.list) await tx.query(text, values as unknown[]);
  });

describe('jsonb columns and lookup records sent as one JSON array each', () => {
  it('come back as written, each beside its own key, in a batch of thousands', async () => {
    const generation = await generationNamed('jsonb_writes');
    const docs = new Map(
      Array.from({ length: 2500 }, (_, i) => {
        const id = `d-${i}`;
        const doc: Doc = {
          title: awkward[i % awkward.length] as string,
          // Each value names its own key: a value paired with another row's key shows.
          tags: i % 7 === 0 ? [] : [id, awkward[i % awkward.length], { nested: [i, null, true] }],
          extra: i % 5 === 0 ? null : { id, text: awkward[(i + 3) % awkward.length], n: i / 3 },
        };
        return [id, { doc, positions: {} }] as const;
      }),
    );
    const records = new Map<string, unknown>(
      Array.from({ length: 2500 }, (_, i) => [
        `k-${i}`,
        { key: `k-${i}`, text: awkward[i % awkward.length] },
      ]),
    );
    const statements = new Statements();
    generation.writeWithin(statements, docs);
    generation.lookups.write(statements, records);
    await commit(statements);

    const loaded = await generation.load([...docs.keys()]);
    expect(loaded.size).toBe(docs.size);
    for (const [id, { doc }] of docs) expect(loaded.get(id)?.doc, id).toEqual(doc);
    const lookups = await generation.lookups.load([...records.keys()]);
    expect(lookups).toEqual(records);
    await generation.drop();
  });

  it('go as several statements when a batch holds more JSON than one parameter takes', async () => {
    const generation = await generationNamed('jsonb_runs');
    // 7 MB each: three runs of 16 MB at most.
    const docs = new Map(
      Array.from({ length: 5 }, (_, i) => {
        const doc: Doc = { title: `t${i}`, tags: [`d-${i}`, 'xy'.repeat(3.5 * 1024 * 1024)], extra: { i } };
        return [`d-${i}`, { doc, positions: {} }] as const;
      }),
    );
    const statements = new Statements();
    generation.writeWithin(statements, docs);
    expect(statements.list).toHaveLength(3);
    await commit(statements);
    const loaded = await generation.load([...docs.keys()]);
    for (const [id, { doc }] of docs) expect(loaded.get(id)?.doc, id).toEqual(doc);
    await generation.drop();
  });
});
