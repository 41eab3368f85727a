import { defineContract, upcaster } from '../../projectors/engine/index.ts';
import {
  AccountClosed,
  AccountOpened,
  AccountOpenedV1,
  HolderRegistered,
  MoneyDeposited,
  MoneyWithdrawn,
  TransferMade,
} from './events.ts';

/**
 * A small ledger: holders and their accounts on one stream, transfers between accounts on
 * another (published by a different service, so a transfer may be seen before an account's
 * opening). Nothing in Vista was written for it.
 *
 * The accounts service chose its subjects before Vista read them: `bank.v1.<aggregateId>.<event>`
 * (`bank.v1.acc-1.money_deposited`), which the stream's subject shape says; the payments
 * service publishes transfers on Vista's own `transfers.transfer_made.<transferId>`.
 */
export const ledger = defineContract({
  streams: [
    { name: 'ACCOUNTS', subjects: 'bank.v1.>', subjectShape: 'bank.v1.{aggregateId}.{event}' },
    { name: 'TRANSFERS', subjects: 'transfers.>' },
  ],
  events: [HolderRegistered, AccountOpened, MoneyDeposited, MoneyWithdrawn, AccountClosed, TransferMade],
  legacy: [AccountOpenedV1],
  upcasters: [upcaster(AccountOpenedV1, AccountOpened, (data) => ({ ...data, currency: 'EUR' }))],
});
