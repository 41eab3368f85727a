import type { Contract } from '../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../shared/events/decode.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { RawMessage } from '../source/ordered-source.ts';

/** Decoded messages kept per process: a few batches of every stream its runners read side by side. */
const DECODED_KEPT = 20_000;

interface Decoded {
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
 * A stream that one runner of the process reads alone (a process owning one partition of a
 * projection) is decoded without the memo: nothing would ever hit, while its lookups (2–4% of such
 * a process's busy time in issue 24's profiles) and 20,000 events kept alive cost for nothing.
 */
export class DecodeMemo {
  private readonly decoded = new Map<string, Decoded>();
  /** How many runners of the process read each stream now. */
  private readonly readers = new Map<string, number>();

  constructor(private readonly kept = DECODED_KEPT) {}

  /** Counts a runner as reading `streams` until the function it returns is called. */
  join(streams: readonly string[]): () => void {
    for (const stream of streams) this.readers.set(stream, (this.readers.get(stream) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      for (const stream of streams) this.readers.set(stream, (this.readers.get(stream) ?? 1) - 1);
    };
  }

  /** `decodeEvent` of `raw`, once per process while it is remembered; throws its `PoisonEventError`. */
  decode(raw: RawMessage, contract: Contract, streams: Streams): AnyEvent {
    if ((this.readers.get(raw.stream) ?? 0) < 2) return decodeEvent(raw, contract, streams);
    const key = `${raw.stream}#${raw.sequence}`;
    let entry = this.decoded.get(key);
    if (!entry || entry.subject !== raw.subject || entry.bytes !== raw.payload.byteLength) {
      let result: AnyEvent | PoisonEventError;
      try {
        result = decodeEvent(raw, contract, streams);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        result = error;
      }
      entry = { subject: raw.subject, bytes: raw.payload.byteLength, result };
      this.decoded.set(key, entry);
      if (this.decoded.size > this.kept) this.decoded.delete(this.decoded.keys().next().value as string);
    }
    if (entry.result instanceof PoisonEventError) throw entry.result;
    return entry.result;
  }
}
