import { Counter, Gauge, type Registry } from 'prom-client';
import type { RunningRole } from '../generations/generations.ts';
import type { ProjectionStatus, StatusReporter } from './reporter.ts';

const STATUSES: readonly ProjectionStatus[] = [
  'standby',
  'starting',
  'catching_up',
  'running',
  'retrying',
  'halted',
  'stopped',
];

/** What the stored status says of a generation: its stall and its lag in seconds (see status-reader.ts). */
export interface StoredStatus {
  readonly name: string;
  readonly generation: number;
  readonly role: RunningRole;
  readonly status: string;
  readonly streams: readonly { readonly stream: string; readonly lagSeconds: number }[];
}

/** A status read is shared by the gauges of one scrape (and scrapes closer than this). */
const STATUS_TTL_MS = 1000;
/** A scrape never waits longer than this for the stored status (the database may be down). */
const STATUS_TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise.catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
}

/** What the metrics read of a projector process: what it owns, and what its generations report. */
export interface ProjectorProcess {
  /** The projections it is responsible for, and whether it owns each one now. */
  readonly ownership: readonly { readonly name: string; readonly owned: boolean }[];
  /** The reporters of the generations it runs now. */
  readonly reporters: readonly StatusReporter[];
}

const labels = (r: StatusReporter) => ({
  projection: r.name,
  generation: String(r.generation),
  partition: String(r.partition),
  role: r.role,
});

/**
 * The projector's Prometheus metrics, read from what its generations report at each scrape; lag in
 * seconds and stalls from `readStatus` (stored checkpoints and message times, as `vista status`
 * shows them). Every per-generation series carries `generation` (its number) and `role` (live
 * or building), so a rebuild's runner never mixes with the live one's. Gauges are rebuilt at
 * each scrape: a retired generation's series disappear with it.
 *
 * @example
 *   const registry = createRegistry();
 *   registerProjectionMetrics(registry, host, () => reader.read());
 *   createMetricsServer(registry, () => host.ready).listen(9464);
 */
export function registerProjectionMetrics(
  registry: Registry,
  host: ProjectorProcess,
  readStatus?: () => Promise<readonly StoredStatus[]>,
): void {
  let cached: { at: number; read: Promise<readonly StoredStatus[]> } | undefined;
  const stored = async (): Promise<readonly StoredStatus[]> => {
    if (!readStatus) return [];
    if (!cached || Date.now() - cached.at > STATUS_TTL_MS) {
      // Unknown (database or NATS unreachable) means no series, never a stale or invented value.
      cached = { at: Date.now(), read: within(readStatus(), STATUS_TIMEOUT_MS, []) };
    }
    const owned = new Set(host.ownership.filter((o) => o.owned).map((o) => o.name));
    return (await cached.read).filter((s) => owned.has(s.name));
  };
  const registers = [registry];

  new Gauge({
    name: 'vista_projection_owned',
    help: 'Whether this process holds the projection lease (0: another process owns it, or the database is unreachable).',
    labelNames: ['projection'],
    registers,
    collect() {
      this.reset();
      for (const { name, owned } of host.ownership) this.set({ projection: name }, owned ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vista_projection_state',
    help: 'Current status of each generation this process runs (1 for the current one; the label is named state).',
    labelNames: ['projection', 'generation', 'partition', 'role', 'state'],
    registers,
    collect() {
      this.reset();
      for (const r of host.reporters) {
        for (const status of STATUSES)
          this.set({ ...labels(r), state: status }, r.progress.status === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'vista_projection_position',
    help: 'Last stream sequence applied to the generation (its checkpoint).',
    labelNames: ['projection', 'generation', 'partition', 'role', 'stream'],
    registers,
    collect() {
      this.reset();
      for (const r of host.reporters) {
        for (const [stream, position] of Object.entries(r.progress.positions))
          this.set({ ...labels(r), stream }, position ?? 0);
      }
    },
  });
  new Gauge({
    name: 'vista_projection_lag',
    help: 'Events in the stream after the generation position.',
    labelNames: ['projection', 'generation', 'partition', 'role', 'stream'],
    registers,
    collect() {
      this.reset();
      for (const r of host.reporters) {
        for (const [stream, pending] of Object.entries(r.progress.pending))
          this.set({ ...labels(r), stream }, pending ?? 0);
      }
    },
  });
  new Gauge({
    name: 'vista_projection_lag_seconds',
    help: 'How long the oldest event after the generation position has waited in the stream (0 without lag).',
    labelNames: ['projection', 'generation', 'role', 'stream'],
    registers,
    async collect() {
      const statuses = await stored();
      this.reset();
      for (const s of statuses) {
        for (const { stream, lagSeconds } of s.streams)
          this.set(
            { projection: s.name, generation: String(s.generation), role: s.role, stream },
            lagSeconds,
          );
      }
    },
  });
  new Gauge({
    name: 'vista_projection_stalled',
    help: 'Whether the generation has lag but its positions have not moved for STALL_AFTER_S (1) or not (0).',
    labelNames: ['projection', 'generation', 'role'],
    registers,
    async collect() {
      const statuses = await stored();
      this.reset();
      for (const s of statuses) {
        this.set(
          { projection: s.name, generation: String(s.generation), role: s.role },
          s.status === 'stalled' ? 1 : 0,
        );
      }
    },
  });
  new Gauge({
    name: 'vista_projection_events_per_second',
    help: 'Events consumed per second over the last 10 seconds.',
    labelNames: ['projection', 'generation', 'partition', 'role'],
    registers,
    collect() {
      this.reset();
      for (const r of host.reporters) this.set(labels(r), r.eventsPerSecond());
    },
  });
  counterFrom(registry, host, {
    name: 'vista_projection_events_total',
    help: 'Events consumed by the generation in this process (applied, skipped or dead-lettered).',
    count: (r) => r.progress.eventsApplied,
  });
  counterFrom(registry, host, {
    name: 'vista_projection_dead_letters_total',
    help: 'Events dead-lettered by the generation in this process.',
    count: (r) => r.progress.deadLetters,
  });
}

/**
 * A counter fed from a runner's own running count: each scrape adds what the count grew by
 * since the last one. A runner started again (a lease regained) counts from zero without the
 * counter going down. Labelled without the role, which changes at the switch: a counter's
 * series must not restart when its generation goes live.
 */
function counterFrom(
  registry: Registry,
  host: ProjectorProcess,
  spec: { name: string; help: string; count: (r: StatusReporter) => number },
): void {
  const seen = new WeakMap<StatusReporter, number>();
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: ['projection', 'generation', 'partition'],
    registers: [registry],
    collect() {
      for (const r of host.reporters) {
        const count = spec.count(r);
        const grown = count - (seen.get(r) ?? 0);
        seen.set(r, count);
        // Touch the series even at zero so it is exposed from the start.
        this.inc(
          { projection: r.name, generation: String(r.generation), partition: String(r.partition) },
          Math.max(0, grown),
        );
      }
    },
  });
}
