import type { OutgoingEvent } from '../../../projectors/engine/internal.ts';

/** What the ledger's views should hold, computed straight from the published history. */
export interface LedgerModel {
  readonly balances: Map<
    string,
    {
      holderId: string;
      label: string;
      currency: string;
      status: 'OPEN' | 'CLOSED';
      balanceCents: number;
      transfers: number;
    }
  >;
  readonly holders: Map<string, { name: string; country: string; accountCount: number }>;
}

/** The ledger's event fields, as the model reads them (each event has some of them). */
type Fields = Record<
  'holderId' | 'name' | 'country' | 'accountId' | 'label' | 'fromAccountId' | 'toAccountId',
  string
> & {
  currency?: string;
  amountCents: number;
};

/**
 * An independent fold of the raw events (before decoding and upcasting): a v1 opening means
 * euros, a transfer moves money between its two accounts.
 */
export function ledgerModel(history: readonly OutgoingEvent[]): LedgerModel {
  const balances: LedgerModel['balances'] = new Map();
  const holders: LedgerModel['holders'] = new Map();
  const account = (id: string) => {
    const found = balances.get(id);
    if (!found) throw new Error(`history uses account ${id} before opening it`);
    return found;
  };
  for (const { eventType, data } of history) {
    const d = data as Fields;
    switch (eventType.type) {
      case 'accounts.holder_registered.v1':
        holders.set(d.holderId, { name: d.name, country: d.country, accountCount: 0 });
        break;
      case 'accounts.account_opened.v1':
      case 'accounts.account_opened.v2': {
        balances.set(d.accountId, {
          holderId: d.holderId,
          label: d.label,
          currency: d.currency ?? 'EUR',
          status: 'OPEN',
          balanceCents: 0,
          transfers: 0,
        });
        const holder = holders.get(d.holderId);
        if (holder) holder.accountCount++;
        break;
      }
      case 'accounts.money_deposited.v1':
        account(d.accountId).balanceCents += d.amountCents;
        break;
      case 'accounts.money_withdrawn.v1':
        account(d.accountId).balanceCents -= d.amountCents;
        break;
      case 'accounts.account_closed.v1':
        account(d.accountId).status = 'CLOSED';
        break;
      case 'transfers.transfer_made.v1':
        account(d.fromAccountId).balanceCents -= d.amountCents;
        account(d.fromAccountId).transfers++;
        account(d.toAccountId).balanceCents += d.amountCents;
        account(d.toAccountId).transfers++;
        break;
      default:
        throw new Error(`the model does not know ${eventType.type}`);
    }
  }
  return { balances, holders };
}
