export type PoisonCode =
  | 'INVALID_JSON'
  | 'INVALID_ENVELOPE'
  | 'UNSUPPORTED_CONTENT_TYPE'
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
