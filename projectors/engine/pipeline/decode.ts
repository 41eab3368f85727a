import type { Contract } from '../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../shared/events/decode.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import { type DeadLetter, deadLetterOf } from '../poison/dead-letters.ts';
import type { PreparedPoison } from '../poison/isolation.ts';
import type { RawMessage } from '../source/ordered-source.ts';
import type { TimeSlices } from '../support/event-loop.ts';
import type { MemoReading } from './decode-memo.ts';

/** What a projection decodes of its messages: the types it handles, and the positions operators skipped. */
export interface Decoding {
  readonly contract: Contract;
  /** The installation's streams: the subject rule checks a message's NATS subject against them. */
  readonly streams: Streams;
  readonly handles: ReadonlySet<string>;
  /** Positions (`STREAM#seq`) an operator skipped: passed over, in this generation and any later one. */
  readonly skipped: ReadonlySet<string>;
  /** This runner's reading of the decodings shared by the process's runners (see decode-memo.ts); without one, it decodes each. */
  readonly memo?: MemoReading;
  /** Messages of other partitions, passed over undecoded (see partition-filter.ts). */
  readonly foreign?: (raw: RawMessage) => boolean;
}

/** A batch decoded: the events the projection handles, where each stood, and the messages that do not decode. */
export interface DecodedBatch {
  readonly events: AnyEvent[];
  readonly indexOf: Map<AnyEvent, number>;
  readonly poison: PreparedPoison<DeadLetter>[];
}

/**
 * Decodes raw messages (envelope, data by zod, upcasters) into the events a projection handles,
 * and the poison among them, giving the event loop a turn whenever `slices` says one is due.
 */
export async function decodeBatch(
  batch: readonly RawMessage[],
  decoding: Decoding,
  slices?: TimeSlices,
): Promise<DecodedBatch> {
  const events: AnyEvent[] = [];
  const indexOf = new Map<AnyEvent, number>();
  const poison: PreparedPoison<DeadLetter>[] = [];
  for (let index = 0; index < batch.length; index++) {
    if (slices?.due()) await slices.pause();
    const raw = batch[index] as RawMessage;
    // Operators seldom skip: no position key is built per message while none is.
    if (decoding.skipped.size > 0 && decoding.skipped.has(`${raw.stream}#${raw.sequence}`)) continue;
    if (decoding.foreign?.(raw)) continue;
    try {
      const event = decoding.memo
        ? decoding.memo.decode(raw, decoding.contract, decoding.streams)
        : decodeEvent(raw, decoding.contract, decoding.streams);
      if (!decoding.handles.has(event.type)) continue;
      events.push(event);
      indexOf.set(event, index);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      poison.push({ index, letter: deadLetterOf(raw, error.code, error.message, error.eventType) });
    }
  }
  // Once more before the fold that follows, itself one block.
  if (slices?.due()) await slices.pause();
  return { events, indexOf, poison };
}

/** The event type of a message that decodes, for its dead letter. */
export function typeOf(raw: RawMessage, contract: Contract, streams: Streams): string | undefined {
  try {
    return decodeEvent(raw, contract, streams).type;
  } catch {
    return undefined;
  }
}
