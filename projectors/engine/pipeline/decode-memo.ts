import type { Contract } from '../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../shared/events/decode.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { RawMessage } from '../source/ordered-source.ts';

/** Decoded messages kept per process: a few batches of every stream its runners read side by side. */
const DECODED_KEPT = 20_000;

interface Decoded {
  /** The decodings of its stream, by sequence: where it is kept, and forgotten from. */
  readonly shelf: Map<number, Decoded>;
  readonly sequence: number;
  /** What identifies the message beyond its position: a broker that lost a tail reuses sequences. */
  readonly subject: string;
  readonly bytes: number;
  readonly result: AnyEvent | PoisonEventError;
}

/**
 * Decoding (envelope, zod, upcasters) is most of what a runner spends per message it reads, and
 * each partition of a projection reads the whole of its streams (nats-server 2.9 cannot split
 * them), as do projections over the same streams. The runners of one process therefore share
 * their decodings, by stream position: the first runner to reach a message decodes it, the
 * others reuse the event (events are immutable: views fold them with pure functions). Bounded,
 * oldest out first; a miss decodes again, so nothing depends on it but CPU.
 *
 * The memo is on every message's path, so its own cost matters: a map per stream keyed by the
 * sequence (no key string to build per message), and the oldest found through a ring of the
 * entries in the order they came, not through the map's iterator (a map's first live entry
 * lies past every entry deleted before it: finding it costs as many steps as it has holes).
 */
export class DecodeMemo {
  private readonly shelves = new Map<string, Map<number, Decoded>>();
  /** Entries in the order they came, `kept` of them at most; `next` is the oldest (the slot to reuse). */
  private readonly ring: (Decoded | undefined)[];
  private next = 0;

  constructor(private readonly kept = DECODED_KEPT) {
    this.ring = new Array<Decoded | undefined>(kept);
  }

  /** `decodeEvent` of `raw`, once per process while it is remembered; throws its `PoisonEventError`. */
  decode(raw: RawMessage, contract: Contract, streams: Streams): AnyEvent {
    let shelf = this.shelves.get(raw.stream);
    if (!shelf) {
      shelf = new Map();
      this.shelves.set(raw.stream, shelf);
    }
    let entry = shelf.get(raw.sequence);
    if (!entry || entry.subject !== raw.subject || entry.bytes !== raw.payload.byteLength) {
      let result: AnyEvent | PoisonEventError;
      try {
        result = decodeEvent(raw, contract, streams);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        result = error;
      }
      entry = { shelf, sequence: raw.sequence, subject: raw.subject, bytes: raw.payload.byteLength, result };
      this.remember(entry);
    }
    if (entry.result instanceof PoisonEventError) throw entry.result;
    return entry.result;
  }

  private remember(entry: Decoded): void {
    const oldest = this.ring[this.next];
    // The oldest may have been replaced at its position since (a reused sequence): that one stays.
    if (oldest && oldest.shelf.get(oldest.sequence) === oldest) oldest.shelf.delete(oldest.sequence);
    entry.shelf.set(entry.sequence, entry);
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.kept;
  }
}
