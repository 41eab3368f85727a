import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Pool } from '../../shared/clients/postgres.ts';

/** CPU seconds (user + system) used so far by the processes the benchmark runs on. */
export interface CpuSample {
  /** This process, every thread. */
  readonly node: number;
  /** Its main thread alone (a reader thread, GC helpers and libuv's pool left out). */
  readonly mainThread: number;
  /**
   * Seconds its main thread was ready to run but waited for a core (the scheduler's run
   * queue): with `mainThread`, how close that thread is to being the limit on a shared machine.
   */
  readonly mainThreadWaiting: number;
  readonly postgres: number;
  readonly nats: number;
  readonly elasticsearch: number;
  /**
   * The whole machine's busy seconds, summed over its cores (`/proc/stat`: everything but idle
   * and I/O wait): beside the benchmark's own processes, whether a core was left idle at all.
   */
  readonly machine: number;
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function pids(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const found = new Map<string, number[]>();

/**
 * `pids(args)`, looked up again only once one of those found before is gone: forking pgrep from
 * a process with a large heap took 50-100 ms of its main thread per sample (4.5% of the engine's
 * profile in bench/profile-engine.ts), counted as the engine's CPU.
 */
function servicePids(args: string[]): number[] {
  const key = args.join(' ');
  const known = found.get(key);
  if (known?.length && known.every((pid) => existsSync(`/proc/${pid}`))) return known;
  const fresh = pids(args);
  found.set(key, fresh);
  return fresh;
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds (0 once it is gone). */
export function cpuSeconds(pid: number, file = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's main thread alone (its task has the process's id). */
export function mainThreadSeconds(): number {
  return cpuSeconds(process.pid, `/proc/self/task/${process.pid}/stat`);
}

/** Seconds this process's main thread has waited on a run queue, ready to run (`schedstat`); 0 where unknown. */
export function mainThreadWaitingSeconds(): number {
  try {
    const [, waitingNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(waitingNs ?? 0) / 1e9;
  } catch {
    return 0;
  }
}

/** Busy seconds of every core since boot, from the first line of /proc/stat; 0 where unknown. */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: guest time is counted in user already.
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS;
  } catch {
    return 0;
  }
}

const sum = (list: number[]) => list.reduce((total, pid) => total + cpuSeconds(pid), 0);

/**
 * Reads the CPU time of this Node process and of the services. PostgreSQL forks a backend
 * per connection, so its figure covers the backends alive at both samples (the benchmark
 * keeps its connections open across a stage). Given `backends` (`ownBackends`), only those
 * count: on a machine shared with other work, the other sessions' CPU is not the benchmark's.
 * nats-server and Elasticsearch are one process each and count whole.
 */
export function sampleCpu(backends?: readonly number[]): CpuSample {
  const self = process.cpuUsage();
  return {
    node: (self.user + self.system) / 1e6,
    mainThread: mainThreadSeconds(),
    mainThreadWaiting: mainThreadWaitingSeconds(),
    postgres: sum(backends ? [...backends] : pids(['-u', 'postgres'])),
    nats: sum(servicePids(['-x', 'nats-server'])),
    elasticsearch: sum(servicePids(['-u', 'vista-es'])),
    machine: machineBusySeconds(),
  };
}

/**
 * CPU seconds of Elasticsearch's JIT compiler threads (HotSpot names them `C1 CompilerThre…` and
 * `C2 CompilerThre…`), part of its figure in `sampleCpu`. A node compiles for minutes after it
 * starts: at the live tail that was up to 0.52 of its 0.89 cores (bench/README.md), which is not
 * what the projector's writes cost it. Reads every thread's name: for a sample before and after
 * a run, not for each second.
 */
export function elasticsearchJitSeconds(): number {
  let total = 0;
  for (const pid of servicePids(['-u', 'vista-es'])) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        if (!readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').match(/^C[12] Compiler/)) continue;
      } catch {
        continue;
      }
      total += cpuSeconds(pid, `/proc/${pid}/task/${task}/stat`);
    }
  }
  return total;
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuSample {
  return {
    node: after.node - before.node,
    mainThread: after.mainThread - before.mainThread,
    mainThreadWaiting: after.mainThreadWaiting - before.mainThreadWaiting,
    postgres: Math.max(0, after.postgres - before.postgres),
    nats: Math.max(0, after.nats - before.nats),
    elasticsearch: Math.max(0, after.elasticsearch - before.elasticsearch),
    machine: after.machine - before.machine,
  };
}

/** The machine's 1-minute load average, printed beside every figure (events/s mean little under load). */
export function loadAverage(): string {
  return loadavg()[0]?.toFixed(2) ?? '?';
}

/** The PostgreSQL backends serving this process's connections (by its `application_name`). */
export async function ownBackends(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name')`,
  );
  return rows.map((row) => row.pid);
}

/**
 * The CPU of every PostgreSQL backend serving one database (an isolated installation's), summed
 * over backends that come and go: each `sample()` notes what each backend has used, so a pool's
 * connection closed meanwhile keeps what it used up to its last sample. It also counts the
 * backends it found waiting for a lock (partitions committing to one table, checkpoint rows,
 * leases), to tell contention between partitions from a lack of CPU.
 */
export class DatabaseCpu {
  private readonly used = new Map<number, number>();
  /** Samples taken, and backends found waiting for a lock over all of them. */
  samples = 0;
  lockWaits = 0;

  constructor(private readonly pool: Pool) {}

  /** Notes each backend's CPU so far; returns the total seen over all of them. */
  async sample(): Promise<number> {
    const { rows } = await this.pool.query<{ pid: number; waiting: boolean }>(
      `SELECT pid, wait_event_type IS NOT DISTINCT FROM 'Lock' AS waiting
         FROM pg_stat_activity WHERE datname = current_database()`,
    );
    this.samples++;
    for (const { pid, waiting } of rows) {
      if (waiting) this.lockWaits++;
      const seconds = cpuSeconds(pid);
      if (seconds > 0) this.used.set(pid, Math.max(this.used.get(pid) ?? 0, seconds));
    }
    return [...this.used.values()].reduce((sum, seconds) => sum + seconds, 0);
  }
}

/** CPU seconds nats-server has used so far (one process; other installations' traffic included). */
export function natsServerSeconds(): number {
  return sum(servicePids(['-x', 'nats-server']));
}
