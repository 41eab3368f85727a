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
    columns: { name: 'text', country: 'text', accountCount: 'integer', registeredAt: 'timestamptz' },
    indexes: [['country']],
    visibleWhen: 'registered_at IS NOT NULL',
  }),
});
