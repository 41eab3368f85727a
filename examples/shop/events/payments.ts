import { z } from 'zod';
import { eventType } from '../../../projectors/engine/index.ts';

const id = z.string().min(1).max(100);
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const PaymentCaptured = eventType({
  type: 'payments.payment_captured.v1',
  stream: 'PAYMENTS',
  schema: z.object({ paymentId: id, orderId: id, amountCents: amount }),
  aggregateId: (data) => data.paymentId,
});

export const PaymentRefunded = eventType({
  type: 'payments.payment_refunded.v1',
  stream: 'PAYMENTS',
  schema: z.object({ paymentId: id, orderId: id, amountCents: amount }),
  aggregateId: (data) => data.paymentId,
});
