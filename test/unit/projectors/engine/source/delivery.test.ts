import { describe, expect, it } from 'vitest';
import { type Delivery, readDelivery } from '../../../../../projectors/engine/source/delivery.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const read = (subject: string) => {
  const into: Delivery = { streamSequence: -1, consumerSequence: -1, pending: -1, storedAtMs: -1 };
  return readDelivery(bytes(subject), into) ? into : undefined;
};

describe('readDelivery', () => {
  it("reads nats-server 2.9's ack subject", () => {
    const delivery = read('$JS.ACK.vista_ORDERS.Xy7Ab.1.4711.12.1733520000123456789.99');
    expect(delivery).toMatchObject({ streamSequence: 4711, consumerSequence: 12, pending: 99 });
    // Nanoseconds beyond 2^53 lose their last digits; a microsecond is all a ms timestamp needs.
    expect(delivery?.storedAtMs).toBeCloseTo(1733520000123.4568, 3);
  });

  it('reads the later form with a domain, an account hash and a token at the end', () => {
    expect(read('$JS.ACK.hub.ACCHASH.ORDERS.c1.2.9007199254740991.3.1000000.0.Rnd42')).toEqual({
      streamSequence: 2 ** 53 - 1,
      consumerSequence: 3,
      storedAtMs: 1,
      pending: 0,
    });
  });

  it('refuses subjects that are no ack subject, or whose numbers are not numbers', () => {
    for (const subject of [
      '',
      '_INBOX.abc.1',
      '$JS.API.CONSUMER.MSG.NEXT.ORDERS.c1',
      '$JS.ACK.ORDERS.c1.1.2.3.4',
      '$JS.ACK.ORDERS.c1.1.2.3.4.5.6',
      '$JS.ACK.ORDERS.c1.1.x2.3.4.5',
      '$JS.ACK.ORDERS.c1.1..3.4.5',
      '$JS.ACK.ORDERS.c1.1.2.3.4.-5',
    ]) {
      expect(read(subject), subject).toBeUndefined();
    }
  });
});
