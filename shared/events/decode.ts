import type { Contract } from './contract.ts';
import { EnvelopeSchema } from './envelope.ts';
import type { AnyEvent } from './event-type.ts';
import { unstorable } from './storable.ts';
import { upcastChain } from './upcasters.ts';

export type PoisonCode =
  | 'INVALID_JSON'
  | 'INVALID_ENVELOPE'
  | 'UNKNOWN_TYPE'
  | 'WRONG_STREAM'
  | 'INVALID_DATA'
  | 'SUBJECT_MISMATCH'
  | 'UPCAST_FAILED'
  | 'UNSTORABLE';

/**
 * A message that can never become a valid event, however often it is retried: it belongs in
 * the dead letters, not in a retry loop.
 */
export class PoisonEventError extends Error {
  constructor(
    readonly code: PoisonCode,
    message: string,
    /** The CloudEvents type when the envelope could be read that far. */
    readonly eventType?: string,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Bytes off a stream → a typed, current-version event. Throws PoisonEventError for anything
 * that fails the contract; never returns a half-valid event.
 */
export function decodeEvent(
  payload: Uint8Array,
  stream: string,
  sequence: number,
  contract: Contract,
): AnyEvent {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new PoisonEventError('INVALID_JSON', `not UTF-8 JSON: ${(error as Error).message}`);
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    const type = (json as { type?: unknown } | null)?.type;
    throw new PoisonEventError(
      'INVALID_ENVELOPE',
      `not a CloudEvent: ${describe(envelope.error.issues)}`,
      typeof type === 'string' ? type : undefined,
    );
  }
  const { type, data } = envelope.data;
  const eventType = contract.types.get(type);
  if (!eventType) throw new PoisonEventError('UNKNOWN_TYPE', `unknown event type ${type}`, type);
  if (eventType.stream !== stream) {
    throw new PoisonEventError(
      'WRONG_STREAM',
      `${type} belongs on ${eventType.stream}, found on ${stream}`,
      type,
    );
  }
  const parsed = eventType.schema.safeParse(data);
  if (!parsed.success) {
    throw new PoisonEventError(
      'INVALID_DATA',
      `invalid ${type} data: ${describe(parsed.error.issues)}`,
      type,
    );
  }
  if (eventType.aggregateId(parsed.data) !== envelope.data.subject) {
    throw new PoisonEventError(
      'SUBJECT_MISMATCH',
      `subject ${envelope.data.subject} is not the aggregate id ${eventType.aggregateId(parsed.data)}`,
      type,
    );
  }
  let current: { type: string; data: unknown };
  try {
    current = upcastChain(type, parsed.data, contract.upcastersFrom);
  } catch (error) {
    throw new PoisonEventError('UPCAST_FAILED', `upcasting ${type}: ${(error as Error).message}`, type);
  }
  if (current.type !== type) {
    const target = contract.types.get(current.type);
    const upcast = target?.schema.safeParse(current.data);
    if (!upcast?.success) {
      throw new PoisonEventError(
        'UPCAST_FAILED',
        `upcast of ${type} to ${current.type} fails its schema`,
        type,
      );
    }
    current = { type: current.type, data: upcast.data };
  }
  // A schema can accept what no store holds (a NUL, an integer past 2^53); refused here, with
  // the field named, it is a dead letter instead of a batch that fails in PostgreSQL.
  const problem = unstorable(current.data);
  if (problem)
    throw new PoisonEventError('UNSTORABLE', `${current.type} data cannot be stored: ${problem}`, type);
  return {
    id: envelope.data.id,
    type: current.type,
    subject: envelope.data.subject,
    source: envelope.data.source,
    time: envelope.data.time,
    data: current.data,
    stream,
    sequence,
  };
}
