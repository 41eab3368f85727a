import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './services.ts';

const BINARY = process.env.NATS_SERVER_BIN ?? 'nats-server';

/**
 * A nats-server of a test's own (the local binary, its own port and store directory), so a
 * test can stop and restart its broker without touching the shared one the other tests use.
 * `stop` then `start` keeps the port and the store: JetStream comes back with its streams.
 */
export class OwnNatsServer {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async start(): Promise<OwnNatsServer> {
    const server = await OwnNatsServer.prepare();
    await server.start();
    return server;
  }

  /** A server with its port and store chosen, not started yet: a broker that comes up late. */
  static async prepare(): Promise<OwnNatsServer> {
    return new OwnNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'vista-nats-')));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  /** Starts the server and resolves once it says it is ready (JetStream included). */
  async start(): Promise<void> {
    if (this.process) return;
    const child = spawn(BINARY, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server not ready in 30 s:\n${this.output}`)),
        30_000,
      );
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Stops the server (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits for its exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    this.output = '';
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Stops it for good and removes its store. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
