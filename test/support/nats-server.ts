import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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
    /** Further command-line arguments: a cluster member's name, cluster port and routes. */
    private readonly extraArgs: readonly string[] = [],
  ) {}

  static async start(): Promise<OwnNatsServer> {
    const server = await OwnNatsServer.prepare();
    await server.start();
    return server;
  }

  /** A server with its port and store chosen, not started yet: a broker that comes up late. */
  static async prepare(extraArgs: readonly string[] = []): Promise<OwnNatsServer> {
    return new OwnNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'vista-nats-')), extraArgs);
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
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir, ...this.extraArgs];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
    // A broker that dies under a test (killed from outside, as `services.sh stop nats` once did to
    // every nats-server on the machine) otherwise shows only as clients timing out.
    child.once('exit', (code, signal) => {
      if (this.process !== child) return; // stopped by the test
      const note = `nats-server on port ${this.port} (pid ${child.pid}) exited unexpectedly: ${signal ?? `code ${code}`}`;
      this.output += `\n${note}\n`;
      console.error(`${new Date().toISOString()} ${note}`);
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

/**
 * A JetStream cluster of the local nats-server, its own: `size` members (three by default), each
 * with its own client port, cluster (route) port and store directory, routed to one another.
 * A member is stopped and restarted with its port and store, so it rejoins with its data.
 */
export class OwnNatsCluster {
  private constructor(readonly servers: ReadonlyMap<string, OwnNatsServer>) {}

  static async start(size = 3): Promise<OwnNatsCluster> {
    const names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const routePorts = await Promise.all(names.map(() => freePort()));
    const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(',');
    const servers = new Map<string, OwnNatsServer>();
    for (const [i, name] of names.entries()) {
      const args = [
        '--name',
        name,
        '--cluster_name',
        'vista-test',
        '--cluster',
        `nats://127.0.0.1:${routePorts[i]}`,
        '--routes',
        routes,
      ];
      servers.set(name, await OwnNatsServer.prepare(args));
    }
    const cluster = new OwnNatsCluster(servers);
    // Together: a member waits for the others' routes before its JetStream is up.
    await Promise.all([...servers.values()].map((s) => s.start()));
    await cluster.waitForJetStream();
    return cluster;
  }

  /** The members' client URLs, comma-separated: what NATS_URL takes for a cluster. */
  get url(): string {
    return [...this.servers.values()].map((s) => s.url).join(',');
  }

  get names(): string[] {
    return [...this.servers.keys()];
  }

  member(name: string): OwnNatsServer {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no member ${name} in the cluster (${this.names.join(', ')})`);
    return server;
  }

  /** Every member's output so far: to show when a test fails. */
  get log(): string {
    return [...this.servers].map(([name, s]) => `--- nats-server ${name} ---\n${s.log}`).join('\n');
  }

  /**
   * Waits until the cluster's JetStream answers (a metadata leader elected), at most 60 s:
   * "Server is ready" comes before the members have agreed on one.
   */
  async waitForJetStream(timeoutMs = 60_000): Promise<void> {
    const connection = await connect({ servers: this.url.split(','), maxReconnectAttempts: -1 });
    try {
      const jsm = await jetstreamManager(connection, { checkAPI: false, timeout: 5000 });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ready = await jsm.getAccountInfo().then(
          () => true,
          () => false,
        );
        if (ready) return;
        if (Date.now() > deadline)
          throw new Error(`cluster JetStream not ready in ${timeoutMs} ms:\n${this.log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await connection.close();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.destroy()));
  }
}
