import type { OutgoingEvent } from '../../../projectors/engine/index.ts';
import { Random } from '../../../projectors/engine/index.ts';
import {
  PriceChanged,
  ProductAdded,
  ProductAddedV1,
  ProductUpdated,
  StockAdjusted,
} from '../events/catalog.ts';
import { OrderCancelled, OrderPlaced, OrderShipped } from '../events/orders.ts';
import { PaymentCaptured, PaymentRefunded } from '../events/payments.ts';

export interface HistoryOptions {
  /** How many events to generate. */
  readonly events: number;
  readonly seed: number;
  /** Start of the history's clock (ISO-8601); each event is a few seconds after the last. */
  readonly startTime?: string;
}

const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'outdoor', 'tools', 'toys'];
const ADJECTIVES = ['Compact', 'Deluxe', 'Rugged', 'Silent', 'Solar', 'Vintage', 'Wireless', 'Foldable'];
const NOUNS = ['Lantern', 'Kettle', 'Backpack', 'Speaker', 'Drill', 'Puzzle', 'Notebook', 'Planter'];
const WORDS = ['durable', 'light', 'handmade', 'recycled', 'waterproof', 'classic', 'quiet', 'fast'];
const CARRIERS = ['DHL', 'UPS', 'PostNL', 'FedEx'];
const STOCK_REASONS = ['restock', 'inventory count', 'damaged', 'returned'];
const CANCEL_REASONS = ['customer request', 'payment failed', 'out of stock'];

interface ProductState {
  readonly productId: string;
  priceCents: number;
}

interface OrderState {
  readonly orderId: string;
  readonly totalCents: number;
  shipped: boolean;
  cancelled: boolean;
  paid: boolean;
}

interface PaymentState {
  readonly paymentId: string;
  readonly orderId: string;
  readonly amountCents: number;
  refunded: boolean;
}

/**
 * A realistic, seeded-random history across CATALOG, ORDERS and PAYMENTS: products (a mix of
 * v1 and v2 `product_added`), stock adjustments, price changes, orders with several lines,
 * payments (some published before their order), refunds, shipments and cancellations.
 * Lazy, so a million events never sit in memory at once; the same seed gives the same events.
 */
export function* demoHistory(options: HistoryOptions): Generator<OutgoingEvent> {
  const random = new Random(options.seed);
  const run = (options.seed >>> 0).toString(36);
  let clock = Date.parse(options.startTime ?? '2026-01-01T00:00:00.000Z');
  let counter = 0;
  const products: ProductState[] = [];
  const openOrders: OrderState[] = [];
  const payments: PaymentState[] = [];
  const customers = Math.max(10, Math.ceil(options.events / 40));
  /** A few random tries instead of a scan: O(1) per event on million-event histories. */
  const pickWhere = <T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined => {
    for (let attempt = 0; attempt < 8 && items.length > 0; attempt++) {
      const item = random.pick(items);
      if (predicate(item)) return item;
    }
    return undefined;
  };
  const nextId = (prefix: string) => `${prefix}-${run}-${(++counter).toString(36)}`;
  const event = (eventType: OutgoingEvent['eventType'], data: unknown): OutgoingEvent => {
    clock += random.int(1, 3000);
    return {
      eventType,
      data,
      id: nextId('evt'),
      time: new Date(clock).toISOString(),
      source: `/demo/${run}`,
    };
  };

  function addProduct(): OutgoingEvent {
    const productId = nextId('p');
    const priceCents = random.int(199, 49_999);
    products.push({ productId, priceCents });
    const data = {
      productId,
      sku: `SKU-${productId.toUpperCase()}`,
      name: `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`,
      description: `A ${random.pick(WORDS)}, ${random.pick(WORDS)} ${random.pick(NOUNS).toLowerCase()} for every day.`,
      category: random.pick(CATEGORIES),
      priceCents,
    };
    // Older producers still publish v1; the upcaster lifts it to v2.
    if (random.chance(0.3)) return event(ProductAddedV1, data);
    return event(ProductAdded, { ...data, tags: random.chance(0.5) ? [random.pick(WORDS)] : [] });
  }

  function placeOrder(): OutgoingEvent[] {
    const lines = Array.from({ length: random.int(1, 4) }, () => {
      const product = random.pick(products);
      return { productId: product.productId, quantity: random.int(1, 5), unitPriceCents: product.priceCents };
    });
    const order: OrderState = {
      orderId: nextId('o'),
      totalCents: lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
      shipped: false,
      cancelled: false,
      paid: false,
    };
    openOrders.push(order);
    const placed = event(OrderPlaced, {
      orderId: order.orderId,
      customerId: `c-${run}-${random.int(1, customers)}`,
      lines,
    });
    // Some payment services are faster than the order service: the payment lands first.
    if (random.chance(0.05)) return [capture(order), placed];
    return [placed];
  }

  function capture(order: OrderState): OutgoingEvent {
    order.paid = true;
    const payment = {
      paymentId: nextId('pay'),
      orderId: order.orderId,
      amountCents: order.totalCents,
      refunded: false,
    };
    payments.push(payment);
    return event(PaymentCaptured, {
      paymentId: payment.paymentId,
      orderId: order.orderId,
      amountCents: order.totalCents,
    });
  }

  const initialProducts = Math.min(options.events, Math.max(5, Math.ceil(options.events / 200)));
  const pending: OutgoingEvent[] = [];
  let emitted = 0;
  const emit = function* (events: OutgoingEvent[]) {
    for (const e of events) {
      if (emitted >= options.events) return;
      emitted++;
      yield e;
    }
  };

  for (let i = 0; i < initialProducts; i++) pending.push(addProduct());
  yield* emit(pending.splice(0));

  while (emitted < options.events) {
    const kind = random.weighted({
      order: 34,
      payment: 24,
      ship: 12,
      cancel: 4,
      refund: 3,
      stock: 10,
      price: 4,
      update: 4,
      product: 1,
    });
    switch (kind) {
      case 'order':
        yield* emit(placeOrder());
        break;
      case 'payment': {
        const order = pickWhere(openOrders, (o) => !o.paid && !o.cancelled);
        if (order) yield* emit([capture(order)]);
        break;
      }
      case 'ship': {
        const order = pickWhere(openOrders, (o) => o.paid && !o.shipped && !o.cancelled);
        if (!order) break;
        order.shipped = true;
        yield* emit([
          event(OrderShipped, {
            orderId: order.orderId,
            carrier: random.pick(CARRIERS),
            trackingNumber: `TRK${random.int(100000, 999999)}`,
          }),
        ]);
        break;
      }
      case 'cancel': {
        const order = pickWhere(openOrders, (o) => !o.shipped && !o.cancelled);
        if (!order) break;
        order.cancelled = true;
        yield* emit([event(OrderCancelled, { orderId: order.orderId, reason: random.pick(CANCEL_REASONS) })]);
        break;
      }
      case 'refund': {
        const payment = pickWhere(payments, (p) => !p.refunded);
        if (!payment) break;
        payment.refunded = true;
        // Partial refunds happen; a refund never exceeds its capture.
        const amountCents = random.chance(0.5)
          ? payment.amountCents
          : Math.max(1, Math.floor(payment.amountCents / 2));
        yield* emit([
          event(PaymentRefunded, { paymentId: payment.paymentId, orderId: payment.orderId, amountCents }),
        ]);
        break;
      }
      case 'stock': {
        const product = random.pick(products);
        const delta = random.chance(0.8) ? random.int(1, 100) : -random.int(1, 10);
        yield* emit([
          event(StockAdjusted, { productId: product.productId, delta, reason: random.pick(STOCK_REASONS) }),
        ]);
        break;
      }
      case 'price': {
        const product = random.pick(products);
        product.priceCents = random.int(199, 49_999);
        yield* emit([event(PriceChanged, { productId: product.productId, priceCents: product.priceCents })]);
        break;
      }
      case 'update': {
        const product = random.pick(products);
        const data = random.chance(0.5)
          ? { productId: product.productId, name: `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}` }
          : { productId: product.productId, category: random.pick(CATEGORIES) };
        yield* emit([event(ProductUpdated, data)]);
        break;
      }
      case 'product':
        yield* emit([addProduct()]);
        break;
    }
    // Keep the working set bounded on long histories: old orders are done.
    if (openOrders.length > 5000) openOrders.splice(0, 1000);
    if (payments.length > 5000) payments.splice(0, 1000);
  }
}
