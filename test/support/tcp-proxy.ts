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
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
