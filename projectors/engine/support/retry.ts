import { WakeableSleep } from './wakeable-sleep.ts';

/** Capped exponential backoff with full jitter: retries from many processes do not synchronise. */
export function backoffMs(attempt: number, baseMs = 100, capMs = 10_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(random() * ceiling);
}

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when the same operation may well succeed later: lost connections, a server starting
 * or shutting down, overload, serialisation conflicts. Anything else is a defect or bad data.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, statusCode, name } = error as Error & { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE classes: 08 connection, 53 resources, 57P shutdown; 40001/40P01 conflicts.
    // 55P03: a lock not granted in time (a view replacement behind a long reader).
    if (/^(08|53|57P)/.test(code) || ['40001', '40P01', '55P03'].includes(code)) return true;
    if (['STALE_CHECKPOINT', 'SOURCE_FAILED', 'ELASTICSEARCH_UNAVAILABLE', 'CIRCUIT_OPEN'].includes(code)) {
      return true;
    }
  }
  if (typeof statusCode === 'number' && [429, 502, 503, 504].includes(statusCode)) return true;
  if (['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError'].includes(name)) return true;
  // A JetStream cluster without a leader or quorum for a stream (a member down, an election
  // under way) answers 503 "JetStream system temporarily unavailable"; "no responders" while
  // the API's subject has nobody to answer it.
  const { status } = error as Error & { status?: unknown };
  if (name === 'JetStreamApiError' && status === 503) return true;
  return /Connection terminated|connection.*closed|timeout|TIMEOUT|disconnect|temporarily unavailable|no responders/i.test(
    error.message,
  );
}

/** Resolves after `ms`, or early when `signal` aborts: a pause nothing else wakes. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new WakeableSleep().sleep(ms, signal);
}
