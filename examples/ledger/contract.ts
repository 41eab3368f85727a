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
 */
export const ledger = defineContract({
  streams: [
    { name: 'ACCOUNTS', subjects: 'accounts.>' },
    { name: 'TRANSFERS', subjects: 'transfers.>' },
  ],
  events: [HolderRegistered, AccountOpened, MoneyDeposited, MoneyWithdrawn, AccountClosed, TransferMade],
  legacy: [AccountOpenedV1],
  upcasters: [upcaster(AccountOpenedV1, AccountOpened, (data) => ({ ...data, currency: 'EUR' }))],
});
