/**
 * Stall detection: a projection that has lag but has not advanced for `STALL_AFTER_S` is
 * stalled, whatever state its owner reports (a consumer that silently stopped delivering, a
 * batch retried forever, a wedged sink). Judged from stored facts only — when its checkpoint
 * last moved and since when its oldest pending event has been waiting — so the CLI, the API
 * and the projector's metrics agree without watching the projection over time.
 */

/** States in which an owner claims to be consuming: only these can be stalled. */
const CONSUMING = new Set(['starting', 'catching_up', 'running', 'retrying']);

export interface StallFacts {
  /** What the owner reports (`vista_generations.status`). */
  readonly status: string;
  /** When any of the generation's positions last moved (its checkpoint rows' `updated_at`). */
  readonly lastAdvanceAt: Date;
  /** Per source stream: its lag, and when the first event after the position was stored. */
  readonly streams: readonly { readonly lag: number | null; readonly pendingSince: Date | undefined }[];
}

export interface Stall {
  /** How long it has had work and made no progress, in whole seconds. */
  readonly seconds: number;
  /** Events waiting, over all its streams. */
  readonly lag: number;
}

/**
 * The stall, when there is one. Work that arrived after the last advance starts the clock
 * only when it arrived: an idle projection whose stream just got an event is not stalled.
 */
export function judgeStall(
  facts: StallFacts,
  stallAfterMs: number,
  now: Date = new Date(),
): Stall | undefined {
  if (!CONSUMING.has(facts.status)) return undefined;
  const waiting = facts.streams.filter((s) => (s.lag ?? 0) > 0);
  if (waiting.length === 0) return undefined;
  const oldest = Math.min(...waiting.map((s) => (s.pendingSince ?? now).getTime()));
  const since = Math.max(facts.lastAdvanceAt.getTime(), oldest);
  const stalledMs = now.getTime() - since;
  if (stalledMs < stallAfterMs) return undefined;
  return {
    seconds: Math.floor(stalledMs / 1000),
    lag: waiting.reduce((sum, s) => sum + (s.lag ?? 0), 0),
  };
}

/** The line status shows for a stall, keeping what the owner last said (e.g. why it retries). */
export function stallDetail(stall: Stall, status: string, detail: string | null): string {
  const base = `no progress for ${stall.seconds} s with ${stall.lag} events of lag (owner reports ${status})`;
  return detail ? `${base}: ${detail}` : base;
}

/** Seconds the oldest pending event has waited: the lag in time (0 when there is no lag). */
export function lagSeconds(
  lag: number | null,
  pendingSince: Date | undefined,
  now: Date = new Date(),
): number | null {
  if (lag === null) return null;
  if (lag === 0 || !pendingSince) return 0;
  return Math.max(0, (now.getTime() - pendingSince.getTime()) / 1000);
}
