import type { z } from 'zod';
import { type AnyEvent, decodeEvent, type EventType, toEnvelope } from '../../../projectors/engine/index.ts';
import { shop } from '../shop/contract.ts';

// #region events
let sequence = 0;

/** An event as a projection sees it: decoded (and upcast) exactly as the projector decodes it. */
export function event<E extends EventType>(
  eventType: E,
  data: z.infer<E['schema']>,
  time = '2026-03-01T12:00:00Z',
): AnyEvent {
  const envelope = toEnvelope({ eventType, data, id: `evt-${++sequence}`, time, source: '/spec' });
  return decodeEvent(new TextEncoder().encode(JSON.stringify(envelope)), eventType.stream, sequence, shop);
}
// #endregion
