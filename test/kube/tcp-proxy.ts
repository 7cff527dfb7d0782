import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Bytes no longer flow either way: to the client the far end went away without a FIN or a reset. */
  dead: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a server (TLS passes through untouched) that can make connections go
 * half-open: `stall()` stops every open connection dead, as a network that loses the far end does; `hold()` does
 * the same to every connection made until `release()`. A dead connection stays open until its client gives up
 * on it; that is what the tests watch for.
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private holding = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the proxy has no port');
    const proxy = new TcpProxy(server, address.port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Every open connection goes dead; new ones are forwarded. */
  stall(): void {
    for (const link of this.links) this.kill(link);
  }

  /** Every open connection goes dead, and so does every new one until `release()`. */
  hold(): void {
    this.holding = true;
    this.stall();
  }

  /** New connections are forwarded again; the dead ones stay dead. */
  release(): void {
    this.holding = false;
  }

  /** Connections open now (live or dead). */
  connections(): number {
    return this.links.size;
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    const link: Link = { client, upstream: undefined, dead: false };
    this.links.add(link);
    const forget = () => {
      this.links.delete(link);
      client.destroy();
      link.upstream?.destroy();
    };
    client.on('error', forget);
    client.on('close', forget);
    if (this.holding) {
      this.kill(link);
      return;
    }
    const upstream = createConnection(target.port, target.host);
    link.upstream = upstream;
    upstream.on('error', () => (link.dead ? undefined : forget()));
    // A close from the server reaches the client only while the link is alive.
    upstream.on('close', () => (link.dead ? undefined : forget()));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private kill(link: Link): void {
    link.dead = true;
    if (link.upstream) {
      link.client.unpipe(link.upstream);
      link.upstream.unpipe(link.client);
      link.upstream.pause();
    }
    // Read and drop what the client sends, so its writes do not fail: nothing ever answers.
    link.client.removeAllListeners('data');
    link.client.on('data', () => undefined);
  }
}
