import { HeaderBlock, type HeaderList, type RawHeaders } from '../header-block.ts';
import type { RawMessage } from '../ordered-source.ts';

/**
 * Messages of one stream packed to cross from a reader thread to the main thread: the payloads
 * in one transferred buffer, the numbers in transferred typed arrays, the strings as they are.
 * A structured clone of one object per message cost the main thread more than building the
 * messages from columns (bench/README.md, "Reading on a thread of its own").
 */
export interface PackedMessages {
  readonly stream: string;
  readonly sequences: Float64Array;
  readonly pending: Float64Array;
  readonly receivedAt: Float64Array;
  /** Message i's payload is bytes[offsets[i], offsets[i + 1]). */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
  readonly subjects: string[];
  /**
   * Each message's NATS headers: the text of its header block, or (read by nats.js's own
   * parser) name and values, or null when it had none.
   */
  readonly headers: (string | HeaderList | null)[];
  readonly traceparents: (string | null)[];
}

/** Collects a reader's messages until `pack` hands them over as one PackedMessages. */
export class MessagePacker {
  private messages: RawMessage[] = [];
  private size = 0;

  constructor(private readonly stream: string) {}

  get count(): number {
    return this.messages.length;
  }

  get bytes(): number {
    return this.size;
  }

  add(message: RawMessage): void {
    this.messages.push(message);
    this.size += message.payload.byteLength;
  }

  /** The messages added since the last call, packed, and the buffers to transfer with them. */
  pack(): { packed: PackedMessages; transfer: ArrayBuffer[] } {
    const messages = this.messages;
    const n = messages.length;
    const packed: PackedMessages = {
      stream: this.stream,
      sequences: new Float64Array(n),
      pending: new Float64Array(n),
      receivedAt: new Float64Array(n),
      offsets: new Uint32Array(n + 1),
      bytes: new Uint8Array(this.size),
      subjects: new Array<string>(n),
      headers: new Array<string | HeaderList | null>(n),
      traceparents: new Array<string | null>(n),
    };
    let at = 0;
    for (let i = 0; i < n; i++) {
      const message = messages[i] as RawMessage;
      packed.sequences[i] = message.sequence;
      packed.pending[i] = message.pending;
      packed.receivedAt[i] = message.receivedAt;
      packed.offsets[i] = at;
      packed.bytes.set(message.payload, at);
      at += message.payload.byteLength;
      packed.subjects[i] = message.subject;
      packed.headers[i] = packedHeaders(message.headers);
      packed.traceparents[i] = message.traceparent ?? null;
    }
    packed.offsets[n] = at;
    this.messages = [];
    this.size = 0;
    return {
      packed,
      transfer: [
        packed.sequences.buffer,
        packed.pending.buffer,
        packed.receivedAt.buffer,
        packed.offsets.buffer,
        packed.bytes.buffer,
      ] as ArrayBuffer[],
    };
  }
}

/** The messages of a PackedMessages, shaped as the reader on the main thread yields them. */
export function unpack(packed: PackedMessages): RawMessage[] {
  const n = packed.sequences.length;
  const messages = new Array<RawMessage>(n);
  for (let i = 0; i < n; i++) {
    // The same shape as ordered-source.ts's messages, fields in the same order.
    messages[i] = {
      stream: packed.stream,
      sequence: packed.sequences[i] as number,
      subject: packed.subjects[i] as string,
      payload: packed.bytes.subarray(packed.offsets[i], packed.offsets[i + 1]),
      pending: packed.pending[i] as number,
      receivedAt: packed.receivedAt[i] as number,
      headers: unpackedHeaders(packed.headers[i]),
      traceparent: packed.traceparents[i] ?? undefined,
    };
  }
  return messages;
}

/** A HeaderBlock loses its class crossing a thread: its text crosses, and is made one again. */
function packedHeaders(headers: RawHeaders | undefined): string | HeaderList | null {
  if (headers === undefined) return null;
  return headers instanceof HeaderBlock ? headers.text : headers;
}

function unpackedHeaders(headers: string | HeaderList | null | undefined): RawHeaders | undefined {
  if (headers === undefined || headers === null) return undefined;
  return typeof headers === 'string' ? new HeaderBlock(headers) : headers;
}

/** An error as it crosses a thread: what Vista tells failures apart by (name, code, status). */
export interface CrossingError {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
  readonly status?: unknown;
  readonly statusCode?: unknown;
}

export function crossing(error: unknown): CrossingError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, status, statusCode } = error as Error & Record<string, unknown>;
  return { name: error.name, message: error.message, code, status, statusCode };
}
