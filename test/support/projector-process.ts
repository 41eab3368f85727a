import { createInterface } from 'node:readline';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import type { Application } from '../../projectors/engine/internal.ts';
import { ChildProjector } from './child-projector.ts';
import { eventually, type TestEnvironment, testEnvironment } from './environment.ts';

/** One pino line of a projector's stdout: `msg`, `time` (epoch ms) and whatever fields it logged. */
export interface LogLine {
  readonly msg?: string;
  readonly time?: number;
  readonly projection?: string;
  readonly [field: string]: unknown;
}

/** How a process ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Matches the line a projector logs when it becomes the owner of `projection`. */
export const leaseAcquired =
  (projection: string) =>
  (line: LogLine): boolean =>
    line.msg === 'lease acquired' && line.projection === projection;

/**
 * A projector process whose JSON log lines are parsed as they arrive, so a test waits for what
 * the process says ('lease acquired', 'projectors stopped') rather than sleeping, and every
 * wait and stop is bounded.
 */
export class ProjectorProcess extends ChildProjector {
  /** Every JSON line logged so far, in order. */
  readonly lines: LogLine[] = [];
  /** Settles once the process has exited and its output has been read to the end. */
  readonly closed: Promise<ExitStatus>;
  private hasClosed = false;

  constructor(
    env: TestEnvironment,
    readonly label: string,
    overrides: Record<string, string> = {},
  ) {
    super(env, overrides);
    this.closed = new Promise((resolve) => {
      this.process.once('close', (code, signal) => {
        this.hasClosed = true;
        resolve({ code, signal });
      });
    });
    if (this.process.stdout) {
      createInterface({ input: this.process.stdout }).on('line', (text) => {
        const line = parseLine(text);
        if (line) this.lines.push(line);
      });
    }
  }

  /** The first line (logged so far or later) that `match` accepts; fails if the process ends first. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    return eventually(
      async () => {
        const line = this.lines.find(match);
        if (line) return line;
        if (this.hasClosed) throw new Error(`${this.label} ended without logging ${what}`);
        return undefined;
      },
      timeoutMs,
      `${this.label} to log ${what}`,
    );
  }

  /**
   * Sends `signal` and waits until the process has exited and its output is read, at most
   * `timeoutMs` (then it is SIGKILLed and the wait fails). Resolves with the exit code (null
   * when a signal ended it).
   */
  override async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.hasClosed) this.process.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), timeoutMs);
    });
    const outcome = await Promise.race([this.closed, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timed out') {
      this.process.kill('SIGKILL');
      await this.closed;
      throw new Error(`${this.label} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return outcome.code;
  }
}

function parseLine(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as LogLine) : undefined;
  } catch {
    return undefined; // not a log line (a stack trace printed by Node, say): kept in `log` only
  }
}

/**
 * The projector processes one test starts: their output printed only if the test fails, and
 * every one of them killed at the end.
 */
export class ProjectorProcesses {
  private readonly started: ProjectorProcess[] = [];

  start(env: TestEnvironment, label: string, overrides: Record<string, string> = {}): ProjectorProcess {
    const projector = new ProjectorProcess(env, label, overrides);
    this.started.push(projector);
    return projector;
  }

  /** Call inside a test: if it fails, print what every process (started before or after) logged. */
  printLogsOnFailure(): void {
    onTestFailed(() => {
      for (const p of this.started) console.error(`--- ${p.label} (pid ${p.pid}) output ---\n${p.log}`);
    });
  }

  /** SIGKILLs every process still running and waits until each has exited. */
  async killAll(): Promise<void> {
    await Promise.all(this.started.map((p) => p.stop('SIGKILL')));
  }
}

/**
 * A describe block's installation of `app` and the projector processes its tests start: made
 * before the block, every process killed and the installation removed after it.
 */
export function processesOn(app: Application, overrides: Record<string, string> = {}) {
  let env: TestEnvironment | undefined;
  const processes = new ProjectorProcesses();
  beforeAll(async () => {
    env = await testEnvironment(overrides, app);
  });
  afterAll(async () => {
    await processes.killAll();
    await env?.cleanup();
  });
  return {
    processes,
    /** The installation (from inside a test). */
    get env(): TestEnvironment {
      if (!env) throw new Error('the installation is made before the tests run');
      return env;
    },
  };
}
