import { z } from 'zod';
import { eventType } from '../../projectors/engine/index.ts';

const id = z.string().min(1).max(100);
/** Money in cents: positive, and exact in a `bigint` column and in GraphQL `Long`. */
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const HolderRegistered = eventType({
  type: 'accounts.holder_registered.v1',
  stream: 'ACCOUNTS',
  schema: z.object({
    holderId: id,
    name: z.string().min(1).max(200),
    country: z.string().regex(/^[A-Z]{2}$/),
  }),
  aggregateId: (data) => data.holderId,
});

const accountOpenedV1Fields = { accountId: id, holderId: id, label: z.string().min(1).max(200) };

/** The first shape of `account_opened`: every account was in euros. Upcast to v2. */
export const AccountOpenedV1 = eventType({
  type: 'accounts.account_opened.v1',
  stream: 'ACCOUNTS',
  schema: z.object(accountOpenedV1Fields),
  aggregateId: (data) => data.accountId,
});

/** v2 names the account's currency. */
export const AccountOpened = eventType({
  type: 'accounts.account_opened.v2',
  stream: 'ACCOUNTS',
  schema: z.object({ ...accountOpenedV1Fields, currency: z.string().regex(/^[A-Z]{3}$/) }),
  aggregateId: (data) => data.accountId,
});

export const MoneyDeposited = eventType({
  type: 'accounts.money_deposited.v1',
  stream: 'ACCOUNTS',
  schema: z.object({ accountId: id, amountCents: amount, reference: z.string().max(200) }),
  aggregateId: (data) => data.accountId,
});

export const MoneyWithdrawn = eventType({
  type: 'accounts.money_withdrawn.v1',
  stream: 'ACCOUNTS',
  schema: z.object({ accountId: id, amountCents: amount, reference: z.string().max(200) }),
  aggregateId: (data) => data.accountId,
});

export const AccountClosed = eventType({
  type: 'accounts.account_closed.v1',
  stream: 'ACCOUNTS',
  schema: z.object({ accountId: id, reason: z.string().min(1).max(200) }),
  aggregateId: (data) => data.accountId,
});

/** Published by the payments service on its own stream: both accounts change. */
export const TransferMade = eventType({
  type: 'transfers.transfer_made.v1',
  stream: 'TRANSFERS',
  schema: z.object({ transferId: id, fromAccountId: id, toAccountId: id, amountCents: amount }),
  aggregateId: (data) => data.transferId,
});
