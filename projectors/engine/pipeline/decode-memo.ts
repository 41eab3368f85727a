import type { Contract } from '../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../shared/events/decode.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Positions } from '../commit/positions.ts';
import type { RawMessage } from '../source/ordered-source.ts';

/** Decoded messages kept per process: a few batches of every stream its runners read side by side. */
const DECODED_KEPT = 20_000;

/** One stream's decodings, by sequence, and where each runner reading the stream now stands. */
interface Shelf {
  readonly decoded: Map<number, Decoded>;
  readonly places: Set<Place>;
}

/** Where one runner stands on one stream: the last sequence it decoded, or where it started. */
interface Place {
  position: number;
}

/** One runner's reading through the memo, from `DecodeMemo.join` until `leave`. */
export interface MemoReading {
  /** `decodeEvent` of `raw`, once per process while it is remembered; throws its `PoisonEventError`. */
  decode(raw: RawMessage, contract: Contract, streams: Streams): AnyEvent;
  /** The runner reads no more: a stream read by one runner alone is forgotten. */
  leave(): void;
}

interface Decoded {
  /** Where it is kept, and forgotten from. */
  readonly shelf: Shelf;
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
 * oldest out first; a miss decodes again, so nothing depends on it but CPU. Only what another
 * runner has still to reach is remembered: nothing of a stream that one runner reads, and
 * nothing a runner decodes behind every other reader of the stream, such as a rebuild from
 * sequence 1 beside its live generation at the head. Keeping 20,000 events alive that nobody
 * asks for again only costs: they outlive the young generation, and the collector copies them
 * (a rebuild of 800,000 `orders` events spent 7–9% more CPU per event and peaked 12–20 MB
 * higher).
 *
 * The memo is on every message's path, so its own cost matters: a map per stream keyed by the
 * sequence (no key string to build per message), and the oldest found through a ring of the
 * entries in the order they came, not through the map's iterator (a map's first live entry
 * lies past every entry deleted before it: finding it costs as many steps as it has holes).
 */
export class DecodeMemo {
  private readonly shelves = new Map<string, Shelf>();
  /** Entries in the order they came, `kept` of them at most; `next` is the oldest (the slot to reuse). */
  private readonly ring: (Decoded | undefined)[];
  private next = 0;

  constructor(private readonly kept = DECODED_KEPT) {
    this.ring = new Array<Decoded | undefined>(kept);
  }

  /**
   * Counts a runner as reading `streams`, from `from` (its checkpoint), until it calls `leave`:
   * decodings of a stream are shared while two or more runners read it.
   */
  join(streams: readonly string[], from: Positions = {}): MemoReading {
    const places = new Map<string, Place>();
    for (const stream of new Set(streams)) {
      const place = { position: from[stream] ?? 0 };
      this.shelf(stream).places.add(place);
      places.set(stream, place);
    }
    let left = false;
    return {
      decode: (raw, contract, streams) => this.decode(raw, contract, streams, places.get(raw.stream)),
      leave: () => {
        if (left) return;
        left = true;
        for (const [stream, place] of places) {
          const shelf = this.shelf(stream);
          shelf.places.delete(place);
          if (shelf.places.size < 2) this.forget(shelf);
        }
      },
    };
  }

  /** Lets go of a stream's decodings: no other runner will ask for them. */
  private forget(shelf: Shelf): void {
    shelf.decoded.clear();
    for (let i = 0; i < this.kept; i++) if (this.ring[i]?.shelf === shelf) this.ring[i] = undefined;
  }

  private decode(raw: RawMessage, contract: Contract, streams: Streams, place: Place | undefined): AnyEvent {
    const shelf = this.shelf(raw.stream);
    if (!place) return decodeEvent(raw, contract, streams);
    // Moved while the runner reads alone too: a runner that joins later (a rebuild) must see
    // where this one stands, not where it started.
    place.position = raw.sequence;
    if (shelf.places.size < 2) return decodeEvent(raw, contract, streams);
    let entry = shelf.decoded.get(raw.sequence);
    if (!entry || entry.subject !== raw.subject || entry.bytes !== raw.payload.byteLength) {
      let result: AnyEvent | PoisonEventError;
      try {
        result = decodeEvent(raw, contract, streams);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        result = error;
      }
      entry = { shelf, sequence: raw.sequence, subject: raw.subject, bytes: raw.payload.byteLength, result };
      if (awaited(shelf, place, raw.sequence)) this.remember(entry);
    }
    if (entry.result instanceof PoisonEventError) throw entry.result;
    return entry.result;
  }

  private shelf(stream: string): Shelf {
    let shelf = this.shelves.get(stream);
    if (!shelf) {
      shelf = { decoded: new Map(), places: new Set() };
      this.shelves.set(stream, shelf);
    }
    return shelf;
  }

  private remember(entry: Decoded): void {
    const oldest = this.ring[this.next];
    // The oldest may have been replaced at its position since (a reused sequence): that one stays.
    if (oldest && oldest.shelf.decoded.get(oldest.sequence) === oldest)
      oldest.shelf.decoded.delete(oldest.sequence);
    entry.shelf.decoded.set(entry.sequence, entry);
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.kept;
  }
}

/** Whether a runner other than the one at `self` stands before `sequence` on the stream: it will come to it. */
function awaited(shelf: Shelf, self: Place, sequence: number): boolean {
  for (const place of shelf.places) if (place !== self && place.position < sequence) return true;
  return false;
}
