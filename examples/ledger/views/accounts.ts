import { defineDocumentProjection, elasticsearchIndex } from '../../../projectors/engine/index.ts';
import { ledger } from '../contract.ts';
import { ACCOUNT_STATUS } from './account-status.ts';

/** An account as the `accounts` search index keeps it: found by words of its label. */
export interface AccountDoc {
  opened: boolean;
  /** The key again: Elasticsearch cannot sort on `_id`, and pages need a unique tie-breaker. */
  accountId: string;
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
  evolve: (current: AccountDoc | null, event, key): AccountDoc => {
    const doc = current ?? {
      opened: false,
      accountId: key,
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
  // The public fields are mapped from their kinds; `opened` hides accounts not opened yet.
  target: elasticsearchIndex({ properties: { opened: { type: 'boolean' } }, visibleField: 'opened' }),
  api: {
    type: 'Account',
    description: 'An account as the accounts search index sees it, found by words of its label.',
    noun: { one: 'account', many: 'accounts' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The account id.' },
      accountId: { kind: 'id', description: 'The account id again (sorts and breaks ties).', sortable: true },
      holderId: { kind: 'id', description: 'Who holds the account.', filterable: true },
      label: { kind: 'string', description: "The holder's name for the account." },
      currency: { kind: 'string', description: 'ISO 4217 currency code.', filterable: true, sortable: true },
      status: { kind: ACCOUNT_STATUS, description: 'Open or closed.', filterable: true },
      deposits: { kind: 'long', description: 'Deposits made.', filterable: true, sortable: true },
    },
    tieBreaker: 'accountId',
    order: { by: [{ accountId: 'ASC' }], says: 'by account id' },
    search: { fields: { label: 1 } },
  },
});
