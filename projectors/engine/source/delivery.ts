import type { Msg } from '@nats-io/transport-node';

/** What a delivered message's ack subject (the reply subject the server gave it) says of it. */
export interface Delivery {
  streamSequence: number;
  /** The consumer's count of its deliveries: from 1, one more for each message it sent. */
  consumerSequence: number;
  /** Messages left for the consumer after this one. */
  pending: number;
  storedAtMs: number;
}

const DOT = 0x2e;
const ZERO = 0x30;
/** `$JS.ACK.` */
const PREFIX = [0x24, 0x4a, 0x53, DOT, 0x41, 0x43, 0x4b, DOT];

/**
 * Reads an ack subject into `into`, from its bytes: `$JS.ACK.<stream>.<consumer>.<deliveries>.
 * <stream seq>.<consumer seq>.<ns>.<pending>`, or the form of nats-server 2.10 and later with a
 * domain and an account hash after `ACK` and a token at the end. False for any other subject.
 * Nothing is allocated: splitting the subject into strings made ten objects per message.
 */
export function readDelivery(subject: Uint8Array, into: Delivery): boolean {
  if (subject.length < PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i++) if (subject[i] !== PREFIX[i]) return false;
  let dots = 0;
  for (let i = 0; i < subject.length; i++) if (subject[i] === DOT) dots++;
  // The stream sequence is the 6th token of 9, or the 8th of 12 or more.
  const first = dots === 8 ? 5 : dots >= 11 ? 7 : -1;
  if (first < 0) return false;
  let at = 0;
  for (let token = 0; token < first; at++) if (subject[at] === DOT) token++;
  for (let field = 0; field < 4; field++) {
    let value = 0;
    const start = at;
    for (; at < subject.length && subject[at] !== DOT; at++) {
      const digit = (subject[at] as number) - ZERO;
      if (digit < 0 || digit > 9) return false;
      value = value * 10 + digit;
    }
    if (at === start) return false;
    at++;
    if (field === 0) into.streamSequence = value;
    else if (field === 1) into.consumerSequence = value;
    else if (field === 2) into.storedAtMs = value / 1e6;
    else into.pending = value;
  }
  return true;
}

/** nats.js 3.3's message internals: the reply subject's bytes as they came off the socket. */
interface RawReply {
  readonly _msg?: { readonly reply?: unknown };
}

const encoder = new TextEncoder();
let fellBack = false;

/**
 * Fills `into` from `message`'s ack subject, read from nats.js's raw bytes when it holds them as
 * 3.3 does (package.json pins it), else from the decoded subject. Throws for a message that has
 * none: no JetStream delivery.
 */
export function deliveryOf(message: Msg, into: Delivery): Delivery {
  const raw = (message as unknown as RawReply)._msg?.reply;
  let bytes: Uint8Array;
  if (raw instanceof Uint8Array) bytes = raw;
  else {
    fellBack = true;
    bytes = encoder.encode(message.reply ?? '');
  }
  if (!readDelivery(bytes, into)) {
    throw new Error(`a JetStream message without a delivery subject (reply ${message.reply})`);
  }
  return into;
}

/** Whether `deliveryOf` had to decode a reply subject (a test sees the fast path kept). */
export const deliveryFellBack = (): boolean => fellBack;
