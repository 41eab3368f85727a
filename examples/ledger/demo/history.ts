import { type DemoOptions, type OutgoingEvent, Random } from '../../../projectors/engine/index.ts';
import {
  AccountClosed,
  AccountOpened,
  AccountOpenedV1,
  HolderRegistered,
  MoneyDeposited,
  MoneyWithdrawn,
  TransferMade,
} from '../events.ts';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tony'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman'];
const COUNTRIES = ['NL', 'DE', 'FR', 'GB', 'SE', 'ES'];
const LABELS = [
  'Everyday',
  'Savings',
  'Holiday fund',
  'Rainy day',
  'Household',
  'Travel savings',
  'Business',
];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'GBP', 'SEK'];

interface Account {
  readonly accountId: string;
  balance: number;
  closed: boolean;
}

/**
 * A seeded ledger history: holders, accounts (some opened with the v1 event, before
 * currencies), deposits, withdrawals within the balance, transfers between open accounts on
 * the TRANSFERS stream, and closures of emptied accounts. Lazy; the same seed gives the same events.
 */
export function* ledgerHistory(options: DemoOptions): Generator<OutgoingEvent> {
  const random = new Random(options.seed);
  const run = (options.seed >>> 0).toString(36);
  let clock = Date.parse('2026-02-01T00:00:00.000Z');
  let counter = 0;
  const holders: string[] = [];
  const open: Account[] = [];
  const event = (eventType: OutgoingEvent['eventType'], data: Record<string, unknown>): OutgoingEvent => {
    clock += random.int(1, 5000);
    counter++;
    return {
      eventType,
      data,
      id: `ledger-${run}-${counter}`,
      time: new Date(clock).toISOString(),
      source: eventType.stream === 'TRANSFERS' ? '/payments' : '/accounts',
    };
  };
  while (counter < options.events) {
    const kind =
      holders.length === 0
        ? 'holder'
        : open.length < 2
          ? 'open'
          : random.weighted({ holder: 2, open: 5, deposit: 30, withdraw: 15, transfer: 25, close: 2 });
    if (kind === 'holder') {
      const holderId = `h-${run}-${holders.length + 1}`;
      holders.push(holderId);
      yield event(HolderRegistered, {
        holderId,
        name: `${random.pick(FIRST)} ${random.pick(LAST)}`,
        country: random.pick(COUNTRIES),
      });
    } else if (kind === 'open') {
      const accountId = `a-${run}-${counter + 1}`;
      const fields = { accountId, holderId: random.pick(holders), label: random.pick(LABELS) };
      open.push({ accountId, balance: 0, closed: false });
      yield random.chance(0.3)
        ? event(AccountOpenedV1, fields)
        : event(AccountOpened, { ...fields, currency: random.pick(CURRENCIES) });
    } else if (kind === 'deposit') {
      const account = random.pick(open);
      const amountCents = random.int(100, 500_000);
      account.balance += amountCents;
      yield event(MoneyDeposited, { accountId: account.accountId, amountCents, reference: `dep ${counter}` });
    } else if (kind === 'withdraw') {
      const account = random.pick(open);
      if (account.balance === 0) continue;
      const amountCents = random.int(1, account.balance);
      account.balance -= amountCents;
      yield event(MoneyWithdrawn, { accountId: account.accountId, amountCents, reference: `atm ${counter}` });
    } else if (kind === 'transfer') {
      const from = random.pick(open);
      const to = random.pick(open);
      if (from === to || from.balance === 0) continue;
      const amountCents = random.int(1, from.balance);
      from.balance -= amountCents;
      to.balance += amountCents;
      yield event(TransferMade, {
        transferId: `t-${run}-${counter + 1}`,
        fromAccountId: from.accountId,
        toAccountId: to.accountId,
        amountCents,
      });
    } else {
      const index = open.findIndex((a) => a.balance === 0);
      const account = open[index];
      if (!account || open.length <= 2) continue;
      open.splice(index, 1);
      account.closed = true;
      yield event(AccountClosed, { accountId: account.accountId, reason: 'customer request' });
    }
  }
}
