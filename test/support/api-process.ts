import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { eventually, type TestEnvironment } from './environment.ts';
import { freePort } from './services.ts';

/** A figure of /proc/<pid>/status in MB: VmRSS (resident now) or VmHWM (the peak so far). */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
}

/**
 * The API as its own process (`api/main.ts`) on a test environment, for what only a process of
 * its own can show: its memory (the kernel's peak resident set, VmHWM), its exit, its latency
 * without the test's own work on the same event loop. Its output is kept for failures.
 */
export class ApiProcess {
  readonly process: ChildProcess;
  output = '';

  private constructor(
    readonly url: string,
    env: TestEnvironment,
    port: number,
    overrides: Record<string, string>,
  ) {
    this.process = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      env: { ...process.env, ...env.env, PORT: String(port), LOG_LEVEL: 'warn', ...overrides },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
  }

  /** Starts the API and waits until it answers /healthz. */
  static async start(env: TestEnvironment, overrides: Record<string, string> = {}): Promise<ApiProcess> {
    const port = await freePort();
    const api = new ApiProcess(`http://127.0.0.1:${port}`, env, port, overrides);
    await eventually(
      async () => {
        if (!api.alive) throw new Error(`the API exited at start-up:\n${api.output}`);
        return fetch(`${api.url}/healthz`).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        );
      },
      60_000,
      'the API process to answer /healthz',
    );
    return api;
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resident memory now, MB. */
  rssMb(): number {
    return statusMb(this.pid, 'VmRSS');
  }

  /** The largest resident memory the process has had since it started, MB. */
  peakRssMb(): number {
    return statusMb(this.pid, 'VmHWM');
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }
}
