import type { Logger } from '../log.ts';
import { splitSchema } from './database-url.ts';

/**
 * Reaching a service at start-up. Services start in any order (a container platform, a
 * reboot): a process whose PostgreSQL or NATS is not up yet retries with backoff for a bounded
 * time (STARTUP_RETRY_MS), saying which service at which URL it waits for, then gives up with
 * an error that says the same, for its entry point to print and exit with (EX_UNAVAILABLE).
 */

/** sysexits.h EX_UNAVAILABLE: a service the process needs is not available. */
export const EXIT_UNAVAILABLE = 69;

export class ServiceUnreachableError extends Error {
  readonly code = 'SERVICE_UNREACHABLE';
}

/**
 * A URL (or a comma-separated list of them) without its passwords, for logs and messages (and
 * without the schema Vista carries in database URLs: the user did not write it).
 */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      try {
        const parsed = new URL(splitSchema(one.trim()).connectionString);
        if (parsed.password) parsed.password = '***';
        return parsed.toString().replace(/\/$/, '');
      } catch {
        return '(unparseable URL)';
      }
    })
    .join(',');
}

function reason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

/** The wait before retry number `attempt` (1, 2, …): 250 ms doubling up to 5 s, with jitter. */
function backoffMs(attempt: number): number {
  const ceiling = Math.min(5000, 250 * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export interface ReachOptions {
  /** How long to go on retrying after the first failure. */
  readonly retryForMs: number;
  readonly log: Logger;
  /** A failure retrying cannot mend (a wrong password, a bad TLS setting): given up at once. */
  readonly permanent?: (error: unknown) => boolean;
  /** Stops the retries (a SIGTERM during start-up); the last error is thrown. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, retrying failures with backoff for `retryForMs`; then
 * throws a ServiceUnreachableError naming the service, its URL (password hidden) and the
 * last reason.
 *
 * ```ts
 * const nats = await reach('NATS', config.NATS_URL, () => connectNats(config.NATS_URL, name, log),
 *   { retryForMs: config.STARTUP_RETRY_MS, log });
 * ```
 */
export async function reach<T>(
  service: string,
  url: string,
  attempt: () => Promise<T>,
  options: ReachOptions,
): Promise<T> {
  const where = `${service} at ${redactUrl(url)}`;
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.permanent?.(error)) {
        throw new ServiceUnreachableError(`${where} refused the connection: ${reason(error)}`, {
          cause: error,
        });
      }
      const wait = backoffMs(tries);
      const waited = Date.now() - started;
      if (waited + wait > options.retryForMs || options.signal?.aborted) {
        throw new ServiceUnreachableError(
          `${where} is unreachable (${reason(error)}); gave up after ${Math.round(waited / 1000)} s of retries (STARTUP_RETRY_MS=${options.retryForMs})`,
          { cause: error },
        );
      }
      if (tries === 1) {
        options.log.warn(
          { service, url: redactUrl(url), err: reason(error), retryForMs: options.retryForMs },
          `${where} is unreachable; retrying`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}

/**
 * For process entry points: awaits `work`; a ServiceUnreachableError is printed (one line,
 * no stack) and ends the process with EX_UNAVAILABLE.
 */
export async function orExitUnreachable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof ServiceUnreachableError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
}

/** PostgreSQL failures that retrying mends: the server is not there, or not ready yet. */
export function postgresPermanent(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  // 28xxx: authentication and authorisation (a wrong password or user); 3D000: no such database.
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/** NATS failures that retrying does not mend: authentication, permissions, bad arguments. */
export function natsPermanent(error: unknown): boolean {
  const { name } = (error ?? {}) as { name?: unknown };
  return (
    name === 'AuthorizationError' ||
    name === 'UserAuthenticationExpiredError' ||
    name === 'PermissionViolationError' ||
    name === 'InvalidArgumentError'
  );
}
