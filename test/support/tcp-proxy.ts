import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of one shared service, so a test can take that service away from the
 * processes it starts without stopping it for everybody else. `stop` closes the listener and
 * resets every open connection (new ones are refused); `start` listens again on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listenPort = 0;
  private holding = false;
  private held = 0;
  /** While paused, what clients sent, per connection, in order: delivered by `resume`. */
  private paused: Map<Socket, Buffer[]> | undefined;

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly host = '127.0.0.1',
  ) {}

  /** The port it listens on: ephemeral at the first `start`, the same one afterwards. */
  get port(): number {
    return this.listenPort;
  }

  /** `http://host:port` of the proxy. */
  get url(): string {
    return `http://${this.host}:${this.listenPort}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.listenPort = address.port;
    this.server = server;
  }

  /** Bytes clients sent since `blackhole` that never reached the service. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Makes the link silent, as a partition or a dead host would: connections stay open, nothing
   * sent either way arrives, and nobody is told (no reset, no FIN). New connections are
   * accepted and go silent too.
   */
  blackhole(): void {
    this.holding = true;
    this.held = 0;
  }

  /**
   * Holds what clients send from now on (a request stuck in the network, a GC-paused peer's
   * socket buffer): nothing reaches the service until `resume` delivers it, in order. Answers
   * already on their way back still arrive.
   */
  pause(): void {
    this.paused ??= new Map();
  }

  /** What clients sent since `pause`, as text (to see which request is held). */
  get pausedText(): string {
    return [...(this.paused?.values() ?? [])].map((chunks) => Buffer.concat(chunks).toString()).join('');
  }

  /** Delivers everything held since `pause` and lets traffic flow again. */
  resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    for (const [upstream, chunks] of paused ?? []) for (const chunk of chunks) upstream.write(chunk);
  }

  /** Ends a blackhole: the silent connections are reset (as a peer's TCP finally gives up), new ones work. */
  restore(): void {
    if (!this.holding) return;
    this.holding = false;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    }
    // Either side failing or closing takes the other down with it, as a broken link would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    // Data flows only while the link is not blackholed; what is sent meanwhile is dropped.
    client.on('data', (chunk: Buffer) => {
      if (this.holding) this.held += chunk.length;
      else if (this.paused) this.paused.set(upstream, [...(this.paused.get(upstream) ?? []), chunk]);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!this.holding) client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }
}
