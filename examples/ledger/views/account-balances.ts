import { defineDocumentProjection, postgresTable } from '../../../projectors/engine/index.ts';
import { ledger } from '../contract.ts';
import { ACCOUNT_STATUS } from './account-status.ts';

/**
 * One account's balance and activity. A transfer may be seen before the account's opening
 * (another stream), so the opening's fields are nullable until then and the view hides such rows.
 */
export interface AccountBalanceDoc {
  holderId: string | null;
  label: string | null;
  currency: string | null;
  status: 'OPEN' | 'CLOSED' | null;
  balanceCents: number;
  depositedCents: number;
  withdrawnCents: number;
  transferredInCents: number;
  transferredOutCents: number;
  transfers: number;
  openedAt: string | null;
  closedAt: string | null;
  lastActivityAt: string | null;
}

const EMPTY: AccountBalanceDoc = {
  holderId: null,
  label: null,
  currency: null,
  status: null,
  balanceCents: 0,
  depositedCents: 0,
  withdrawnCents: 0,
  transferredInCents: 0,
  transferredOutCents: 0,
  transfers: 0,
  openedAt: null,
  closedAt: null,
  lastActivityAt: null,
};

/** The later of two ISO times (both UTC after decoding), so any interleaving gives the same answer. */
const later = (a: string | null, b: string): string => (a !== null && a > b ? a : b);

function withBalance(doc: AccountBalanceDoc): AccountBalanceDoc {
  const balanceCents =
    doc.depositedCents - doc.withdrawnCents + doc.transferredInCents - doc.transferredOutCents;
  const status = doc.closedAt !== null ? 'CLOSED' : doc.openedAt !== null ? 'OPEN' : null;
  return { ...doc, balanceCents, status };
}

export const accountBalances = defineDocumentProjection(ledger, {
  name: 'account_balances',
  version: 1,
  sources: [{ stream: 'ACCOUNTS' }, { stream: 'TRANSFERS' }],
  handles: [
    'accounts.account_opened.v2',
    'accounts.money_deposited.v1',
    'accounts.money_withdrawn.v1',
    'accounts.account_closed.v1',
    'transfers.transfer_made.v1',
  ],
  // A transfer changes both of its accounts.
  key: (event) =>
    event.type === 'transfers.transfer_made.v1'
      ? [event.data.fromAccountId, event.data.toAccountId]
      : event.data.accountId,
  evolve: (current: AccountBalanceDoc | null, event, key): AccountBalanceDoc => {
    const doc = { ...(current ?? EMPTY), lastActivityAt: later(current?.lastActivityAt ?? null, event.time) };
    switch (event.type) {
      case 'accounts.account_opened.v2':
        return withBalance({
          ...doc,
          holderId: event.data.holderId,
          label: event.data.label,
          currency: event.data.currency,
          openedAt: event.time,
        });
      case 'accounts.money_deposited.v1':
        return withBalance({ ...doc, depositedCents: doc.depositedCents + event.data.amountCents });
      case 'accounts.money_withdrawn.v1':
        return withBalance({ ...doc, withdrawnCents: doc.withdrawnCents + event.data.amountCents });
      case 'accounts.account_closed.v1':
        return withBalance({ ...doc, closedAt: doc.closedAt ?? event.time });
      case 'transfers.transfer_made.v1': {
        const outgoing = key === event.data.fromAccountId;
        return withBalance({
          ...doc,
          transfers: doc.transfers + 1,
          transferredOutCents: doc.transferredOutCents + (outgoing ? event.data.amountCents : 0),
          transferredInCents: doc.transferredInCents + (outgoing ? 0 : event.data.amountCents),
        });
      }
    }
  },
  // The table's columns are derived from `api.fields`.
  target: postgresTable<AccountBalanceDoc>({
    indexes: [['holderId'], ['balanceCents']],
    visibleWhen: 'opened_at IS NOT NULL',
  }),
  api: {
    type: 'AccountBalance',
    description: "An account's balance and activity, from the ACCOUNTS and TRANSFERS streams.",
    noun: { one: 'account balance', many: 'account balances' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The account id.' },
      holderId: { kind: 'id', description: 'Who holds the account.', filterable: true },
      label: { kind: 'string', description: "The holder's name for the account." },
      currency: { kind: 'string', description: 'ISO 4217 currency code.', filterable: true },
      status: { kind: ACCOUNT_STATUS, description: 'Open or closed.', filterable: true },
      balanceCents: {
        kind: 'long',
        description: 'Deposits minus withdrawals plus transfers in minus transfers out, in cents.',
        filterable: true,
        sortable: true,
      },
      depositedCents: { kind: 'long', description: 'Sum of deposits, in cents.' },
      withdrawnCents: { kind: 'long', description: 'Sum of withdrawals, in cents.' },
      transferredInCents: { kind: 'long', description: 'Sum of transfers received, in cents.' },
      transferredOutCents: { kind: 'long', description: 'Sum of transfers sent, in cents.' },
      transfers: { kind: 'int', description: 'Transfers in and out.', sortable: true },
      openedAt: {
        kind: 'timestamp',
        description: 'When it was opened (ISO-8601).',
        filterable: true,
        sortable: true,
      },
      closedAt: {
        kind: 'timestamp',
        description: 'When it was closed (ISO-8601), if it was.',
        nullable: true,
      },
      lastActivityAt: {
        kind: 'timestamp',
        description: 'Its latest event (ISO-8601).',
        filterable: true,
        sortable: true,
      },
    },
    order: { by: [{ balanceCents: 'DESC' }], says: 'largest balance first' },
    list: {
      shortcuts: {
        holderId: { field: 'holderId', description: "Only this holder's accounts." },
        status: { field: 'status', description: 'Only accounts in this status.' },
      },
    },
    relations: {
      holder: {
        view: 'holders',
        kind: 'one',
        on: { holderId: 'id' },
        description: "The account's holder (null while holders has not caught up).",
      },
    },
  },
});
