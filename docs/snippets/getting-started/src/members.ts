// #region members
import { defineSqlProjection } from 'vista';
import { library } from './contract.ts';

/** Loans per member, kept by SQL of its own: one row per member, added to batch by batch. */
export const members = defineSqlProjection(library, {
  name: 'members',
  version: 1,
  sources: [{ stream: 'LOANS' }],
  handles: ['library.book_lent.v1'],
  tables: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table('members')} (
       member_id text PRIMARY KEY,
       loans integer NOT NULL)`,
  ],
  view: (table) => `SELECT member_id, loans FROM ${table('members')}`,
  api: {
    description: 'How many books each member has borrowed.',
    noun: { one: 'member', many: 'members' },
    key: ['memberId'],
    fields: {
      memberId: { kind: 'id', description: 'The member id.' },
      loans: { kind: 'int', description: 'Books borrowed so far.', sortable: true },
    },
  },
  apply: async (events, sql) => {
    const loans = new Map<string, number>();
    for (const event of events) loans.set(event.data.memberId, (loans.get(event.data.memberId) ?? 0) + 1);
    await sql.query(
      `INSERT INTO ${sql.table('members')} AS m (member_id, loans)
       SELECT * FROM unnest($1::text[], $2::int[])
       ON CONFLICT (member_id) DO UPDATE SET loans = m.loans + EXCLUDED.loans`,
      [[...loans.keys()], [...loans.values()]],
    );
  },
});
// #endregion
