/**
 * Which failures depend on a batch's data (poison: find the event and dead-letter it) rather
 * than on the stores' health (transient: retry the batch whole). Classified where they are
 * caught, carried by `code`.
 */

/** A store refused a document for good (an Elasticsearch mapping or parsing error). */
export class DocumentRefusedError extends Error {
  readonly code: string;
  constructor(
    /** The store's reason, e.g. `ELASTICSEARCH_DOCUMENT_PARSING_EXCEPTION`. */
    reason: string,
    message: string,
    /** The keys of the refused documents. */
    readonly keys: readonly string[],
  ) {
    super(message);
    this.code = reason;
  }
}

/** A view's own code threw (a SQL projection's `apply`, outside the statements it issued). */
export class ViewCodeError extends Error {
  readonly code = 'HANDLER_FAILED';
}

/**
 * True when the failure is caused by what the batch holds, so that a batch without the
 * culprit would succeed: PostgreSQL data exceptions (SQLSTATE class 22: out of range, invalid
 * encoding, bad datetime) and integrity violations (class 23), documents a store refuses,
 * exceptions from view code.
 */
export function isDataDependent(error: unknown): boolean {
  if (error instanceof DocumentRefusedError || error instanceof ViewCodeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/** The code a dead letter records for a data-dependent failure. */
export function poisonCode(error: unknown): string {
  if (error instanceof DocumentRefusedError || error instanceof ViewCodeError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `SQLSTATE_${code}` : 'FAILED';
}
