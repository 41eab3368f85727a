import { z } from 'zod';
import { defineContract, eventType } from '../../projectors/engine/index.ts';

const Deposited = eventType({
  type: 'accounts.money_deposited.v1',
  stream: 'ACCOUNTS',
  schema: z.object({ accountId: z.string(), amountCents: z.number().int() }),
  aggregateId: (d) => d.accountId,
});

// #region shapes
// One event type shaped apart from its stream, by a function of its type and aggregate id:
export const AccountClosed = eventType({
  type: 'accounts.account_closed.v1',
  stream: 'ACCOUNTS',
  schema: z.object({ accountId: z.string() }),
  aggregateId: (d) => d.accountId,
  subjectShape: ({ aggregateId }) => `bank.v1.closures.${aggregateId}`,
});

export const bank = defineContract({
  streams: [
    // bank.v1.acc-1.money_deposited, bank.v1.closures.acc-1, …
    { name: 'ACCOUNTS', subjects: 'bank.v1.>', subjectShape: 'bank.v1.{aggregateId}.{event}' },
  ],
  events: [Deposited, AccountClosed],
});
// #endregion
