import type { z } from 'zod';
import {
  type AnyEvent,
  decodeEvent,
  type EventType,
  streamsFor,
  toEnvelope,
} from '../../../projectors/engine/index.ts';
import { shop } from '../shop/contract.ts';

// #region events
let sequence = 0;
const streams = streamsFor(shop, '');

/** An event as a projection sees it: decoded (and upcast) exactly as the projector decodes it. */
export function event<E extends EventType>(
  eventType: E,
  data: z.infer<E['schema']>,
  time = '2026-03-01T12:00:00Z',
): AnyEvent {
  const envelope = toEnvelope({ eventType, data, id: `evt-${++sequence}`, time, source: '/spec' });
  const message = {
    stream: eventType.stream,
    sequence,
    subject: streams.subjectOf(envelope.type, eventType.aggregateId(data)),
    payload: new TextEncoder().encode(JSON.stringify(envelope)),
    receivedAt: Date.now(),
  };
  return decodeEvent(message, shop, streams);
}
// #endregion
