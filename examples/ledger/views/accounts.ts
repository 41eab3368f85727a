import { defineDocumentProjection, elasticsearchIndex } from '../../../projectors/engine/index.ts';
import { ledger } from '../contract.ts';

/** An account as the `accounts` search index keeps it: found by words of its label. */
export interface AccountDoc {
  opened: boolean;
  holderId: string | null;
  label: string | null;
  currency: string | null;
  status: 'OPEN' | 'CLOSED' | null;
  deposits: number;
}

export const accounts = defineDocumentProjection(ledger, {
  name: 'accounts',
  version: 1,
  sources: [{ stream: 'ACCOUNTS' }],
  handles: ['accounts.account_opened.v2', 'accounts.money_deposited.v1', 'accounts.account_closed.v1'],
  key: (event) => event.data.accountId,
  evolve: (current: AccountDoc | null, event): AccountDoc => {
    const doc = current ?? {
      opened: false,
      holderId: null,
      label: null,
      currency: null,
      status: null,
      deposits: 0,
    };
    switch (event.type) {
      case 'accounts.account_opened.v2':
        return {
          ...doc,
          opened: true,
          holderId: event.data.holderId,
          label: event.data.label,
          currency: event.data.currency,
          status: doc.status ?? 'OPEN',
        };
      case 'accounts.money_deposited.v1':
        return { ...doc, deposits: doc.deposits + 1 };
      case 'accounts.account_closed.v1':
        return { ...doc, status: 'CLOSED' };
    }
  },
  target: elasticsearchIndex({
    properties: {
      opened: { type: 'boolean' },
      holderId: { type: 'keyword' },
      label: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      currency: { type: 'keyword' },
      status: { type: 'keyword' },
      deposits: { type: 'integer' },
    },
    visibleField: 'opened',
  }),
});
