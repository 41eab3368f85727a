import { defineApplication } from '../../projectors/engine/index.ts';
import { ledger } from './contract.ts';
import { ledgerHistory } from './demo/history.ts';
import { accountBalances } from './views/account-balances.ts';
import { accounts } from './views/accounts.ts';
import { holders } from './views/holders.ts';

/** A second domain beside the shop: run it with `VISTA_APP=ledger npm start` (or `npm start -- ledger`). */
export default defineApplication({
  name: 'ledger',
  contract: ledger,
  projections: [accountBalances, holders, accounts],
  demo: (options) => ledgerHistory(options),
});
