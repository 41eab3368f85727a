import type http from 'node:http';
import type { BenchQuery, Contender } from './api-contenders.ts';
import { runAtRate } from './api-rate.ts';
import { percentile } from './load.ts';

export interface LadderOptions {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly rounds: number;
  readonly ceilingMs: number;
  /**
   * Load to run beside each measured run (e.g. a publisher), given the run's end as a
   * `Date.now()` deadline; it resolves with how many units it produced.
   */
  readonly background?: (deadline: number) => Promise<number>;
}

/** A run this far past the ceiling (or failing) means every higher rate would only queue. */
const OVERLOAD_FACTOR = 10;

interface Cell {
  readonly latenciesMs: number[];
  readonly roundP99s: number[];
  failures: number;
  requests: number;
  /** CPU seconds the contender's processes used during these runs. */
  cpuSeconds: number;
  firstFailure: string | undefined;
}

export interface LadderResult {
  /** Per query, per contender, per rate: pooled over the rounds; absent where it was skipped. */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<number, Cell>>>;
  /** Units per second the background load achieved over the measured runs (0 without one). */
  readonly backgroundRate: number;
}

export interface Series {
  readonly query: BenchQuery;
  readonly contender: Contender;
  readonly agent: http.Agent;
}

const cellOf = (cells: Map<string, Map<string, Map<number, Cell>>>, s: Series, rate: number): Cell => {
  const byContender = cells.get(s.query.name) ?? new Map<string, Map<number, Cell>>();
  cells.set(s.query.name, byContender);
  const byRate = byContender.get(s.contender.name) ?? new Map<number, Cell>();
  byContender.set(s.contender.name, byRate);
  const cell = byRate.get(rate) ?? {
    latenciesMs: [],
    roundP99s: [],
    failures: 0,
    requests: 0,
    cpuSeconds: 0,
    firstFailure: undefined,
  };
  byRate.set(rate, cell);
  return cell;
};

/**
 * Runs every series up the ladder of rates, `rounds` times. Within a round, each rate is run
 * for every query and contender back to back, contenders alternating which goes first from
 * round to round, so that drift of the (shared) machine hits all of them alike. A series that
 * overloads at one rate is not run at higher rates again.
 */
export async function runLadder(series: readonly Series[], options: LadderOptions): Promise<LadderResult> {
  const cells = new Map<string, Map<string, Map<number, Cell>>>();
  const overloadedAt = new Map<Series, number>();
  let backgroundUnits = 0;
  let backgroundSeconds = 0;
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? series : [...series].reverse();
    for (const rate of options.rates) {
      for (const s of order) {
        const limit = overloadedAt.get(s);
        if (limit !== undefined && rate > limit) continue;
        const body = s.query.bodies[s.contender.dialect];
        if (body === undefined) continue;
        const background = options.background?.(Date.now() + options.seconds * 1000);
        const cpuBefore = s.contender.cpuSeconds();
        const run = await runAtRate({ url: s.contender.url, body }, s.agent, rate, options.seconds);
        const cpu = s.contender.cpuSeconds() - cpuBefore;
        backgroundUnits += (await background) ?? 0;
        backgroundSeconds += options.seconds;
        const cell = cellOf(cells, s, rate);
        const p99 = percentile(run.latenciesMs, 0.99);
        cell.latenciesMs.push(...run.latenciesMs);
        cell.roundP99s.push(p99);
        cell.failures += run.failures;
        cell.cpuSeconds += cpu;
        cell.firstFailure ??= run.firstFailure;
        cell.requests += run.latenciesMs.length + run.failures;
        if (run.failures > 0 || !(p99 <= options.ceilingMs * OVERLOAD_FACTOR)) overloadedAt.set(s, rate);
      }
    }
  }
  return { cells, backgroundRate: backgroundSeconds ? backgroundUnits / backgroundSeconds : 0 };
}

/** Highest rate of the ladder up to which every rate kept pooled p99 ≤ ceiling with no failures. */
export function ceilingRate(byRate: ReadonlyMap<number, Cell> | undefined, options: LadderOptions): number {
  let best = 0;
  for (const rate of options.rates) {
    const cell = byRate?.get(rate);
    if (!cell || cell.failures > 0 || !(percentile(cell.latenciesMs, 0.99) <= options.ceilingMs)) break;
    best = rate;
  }
  return best;
}

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : Math.round(v).toString()) : '–');

function describe(cell: Cell | undefined): string {
  if (!cell) return 'skipped (overloaded below)';
  const low = Math.min(...cell.roundP99s);
  const high = Math.max(...cell.roundP99s);
  const spread = cell.roundP99s.length > 1 ? ` (${ms(low)}–${ms(high)})` : '';
  const failed = cell.failures ? `, ${cell.failures}/${cell.requests} failed (${cell.firstFailure})` : '';
  const cpu = `${((cell.cpuSeconds * 1000) / Math.max(1, cell.requests)).toFixed(2)} CPU-ms/req`;
  return `${ms(percentile(cell.latenciesMs, 0.5))} / ${ms(percentile(cell.latenciesMs, 0.99))}${spread}, ${cpu}${failed}`;
}

/** Markdown: per query, a row per rate with p50 / p99 (p99 range over rounds) per contender. */
export function printLadder(
  title: string,
  result: LadderResult,
  contenders: readonly string[],
  options: LadderOptions,
): void {
  console.log(`\n${title}\n`);
  for (const [query, byContender] of result.cells) {
    const present = contenders.filter((c) => byContender.has(c));
    console.log(
      `${query}: p50 / p99 ms from the intended send time (p99 min–max over rounds), server CPU per request\n`,
    );
    console.log(`| rate/s | ${present.join(' | ')} |`);
    console.log(`|---|${present.map(() => '---|').join('')}`);
    for (const rate of options.rates) {
      console.log(`| ${rate} | ${present.map((c) => describe(byContender.get(c)?.get(rate))).join(' | ')} |`);
    }
    const ceilings = present.map((c) => `${c} ${ceilingRate(byContender.get(c), options)}/s`);
    console.log(`\nhighest rate with p99 ≤ ${options.ceilingMs} ms: ${ceilings.join(', ')}\n`);
  }
}
