import { defineDocumentProjection, postgresTable } from '../../../projectors/engine/index.ts';
import { ledger } from '../contract.ts';

/** An account holder and how many accounts they opened. */
export interface HolderDoc {
  name: string | null;
  country: string | null;
  accountCount: number;
  registeredAt: string | null;
}

export const holders = defineDocumentProjection(ledger, {
  name: 'holders',
  version: 1,
  sources: [{ stream: 'ACCOUNTS' }],
  handles: ['accounts.holder_registered.v1', 'accounts.account_opened.v2'],
  key: (event) => event.data.holderId,
  evolve: (current: HolderDoc | null, event): HolderDoc => {
    const doc = current ?? { name: null, country: null, accountCount: 0, registeredAt: null };
    if (event.type === 'accounts.holder_registered.v1')
      return { ...doc, name: event.data.name, country: event.data.country, registeredAt: event.time };
    return { ...doc, accountCount: doc.accountCount + 1 };
  },
  target: postgresTable<HolderDoc>({
    indexes: [['country']],
    visibleWhen: 'registered_at IS NOT NULL',
  }),
  api: {
    type: 'Holder',
    description: 'An account holder, from the ACCOUNTS stream.',
    noun: { one: 'holder', many: 'holders' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The holder id.' },
      name: { kind: 'string', description: 'Full name.', filterable: true, sortable: true },
      country: { kind: 'string', description: 'ISO 3166 country code.', filterable: true },
      accountCount: { kind: 'int', description: 'Accounts opened.', filterable: true, sortable: true },
      registeredAt: { kind: 'timestamp', description: 'When they registered (ISO-8601).', sortable: true },
    },
    order: { by: [{ name: 'ASC' }], says: 'by name' },
    relations: {
      accounts: {
        view: 'account_balances',
        kind: 'many',
        on: { id: 'holderId' },
        description: "The holder's accounts, largest balance first.",
        shortcuts: { status: { field: 'status', description: 'Only accounts in this status.' } },
      },
    },
  },
});
