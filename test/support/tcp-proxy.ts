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
  /** While requests are held, what clients sent, per connection, in order. */
  private paused: Map<Socket, Buffer[]> | undefined;
  private stalled = false;
  private readonly upstreams = new Set<Socket>();
  private fromService = 0;

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

  /** Bytes the service sent that were passed on to clients, since the proxy started. */
  get bytesFromService(): number {
    return this.fromService;
  }

  /**
   * Stops reading what the service sends, as a client too busy to read would: it piles up in
   * the socket buffers and then in the service's own, until the service gives up on the
   * connection (NATS: a slow consumer) or `resume` is called. What clients send still flows.
   */
  stall(): void {
    this.stalled = true;
    for (const upstream of this.upstreams) upstream.pause();
  }

  /** Ends a stall: what piled up is passed on, and so is the end of a connection the service cut. */
  resume(): void {
    this.stalled = false;
    for (const upstream of this.upstreams) upstream.resume();
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
   * socket buffer): nothing reaches the service until `releaseRequests` delivers it, in order.
   * Answers already on their way back still arrive.
   */
  holdRequests(): void {
    this.paused ??= new Map();
  }

  /** What clients sent since `holdRequests`, as text (to see which request is held). */
  get heldRequestText(): string {
    return [...(this.paused?.values() ?? [])].map((chunks) => Buffer.concat(chunks).toString()).join('');
  }

  /** Delivers everything held since `holdRequests` and lets requests flow again. */
  releaseRequests(): void {
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
    this.upstreams.add(upstream);
    upstream.once('close', () => this.upstreams.delete(upstream));
    if (this.stalled) upstream.pause();
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
      if (this.holding) return;
      this.fromService += chunk.length;
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }
}
