import { type ChildProcess, spawn } from 'node:child_process';
import type { TestEnvironment } from './environment.ts';

/** A real projector process (`projectors/main.ts`) on a test environment, with its output kept for failures. */
export class ChildProjector {
  readonly process: ChildProcess;
  private output = '';

  constructor(env: TestEnvironment, overrides: Record<string, string> = {}) {
    this.process = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
      env: { ...process.env, ...env.env, LOG_LEVEL: 'info', ...overrides },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** The last 20 kB the process printed: to show when a test fails. */
  get log(): string {
    return this.output;
  }

  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exited) return this.process.exitCode;
    const exited = new Promise<number | null>((resolve) =>
      this.process.once('exit', (code) => resolve(code)),
    );
    this.process.kill(signal);
    return exited;
  }
}
