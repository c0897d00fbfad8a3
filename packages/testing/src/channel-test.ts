import { createServer, MemoryTransport, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import type { ConnectParams, WireMessage } from '@switchboard/wire';
import { TestClient, type TestClientOptions, type TestLink, type TestLinkEvents } from './test-client.js';

const utf8 = new TextEncoder();

/** A TestClient's link over a `MemoryTransport`: no socket, and a client that can stop reading. */
export class MemoryLink implements TestLink {
  readonly transport: MemoryTransport;
  /** An open connection keeps the process alive, as a socket would: the server's own timers do not. */
  private readonly alive = setInterval(() => {}, 2 ** 30);

  constructor(
    server: SwitchboardServer,
    private readonly events: TestLinkEvents,
    options: TestClientOptions,
  ) {
    this.transport = new MemoryTransport(options.codec ?? server.options.codecs[0], {
      onMessage: events.message,
      onClose: (code, reason) => {
        clearInterval(this.alive);
        events.close(code, reason);
      },
    });
    server.open(this.transport);
  }

  send(message: WireMessage): void {
    this.transport.send(typeof message === 'string' ? utf8.encode(message) : message);
  }

  close(code: number): void {
    clearInterval(this.alive);
    this.transport.closeFromClient(code);
    this.events.close(code, '');
  }

  /** The client stops reading: what the server writes piles up in its send buffer (a slow consumer). */
  pauseReading(): void {
    this.transport.pauseReading();
  }

  resumeReading(): void {
    this.transport.resumeReading();
  }
}

/**
 * Channel tests with no port and no socket, in the spirit of Phoenix's
 * `ChannelTest`: a real server node (memory engine unless given another), and
 * clients connected to it over the memory transport. Join a channel with
 * `client.command('subscribe', …)`, push any command and assert its reply, wait
 * for a push with `expectPush`, and publish as the backend with `publish` to
 * assert a broadcast with `expectPublication`. See docs/testing.md.
 */
export class ChannelTest {
  private readonly clients = new Set<TestClient<MemoryLink>>();

  private constructor(readonly server: SwitchboardServer) {}

  /** Starts a node (not listening). Anonymous clients are allowed unless the options say otherwise. */
  static async start(options: ServerOptions = {}): Promise<ChannelTest> {
    const server = createServer({ allowAnonymous: true, ...options });
    await server.start();
    return new ChannelTest(server);
  }

  /** Opens a client over the memory transport; it sends no command. */
  open(options: TestClientOptions = {}): TestClient<MemoryLink> {
    const client = new TestClient((events) => new MemoryLink(this.server, events, options), options);
    this.clients.add(client);
    return client;
  }

  /** Opens a client and sends `connect`. */
  async connect(params: ConnectParams = {}, options: TestClientOptions = {}): Promise<TestClient<MemoryLink>> {
    const client = this.open(options);
    await client.connect(params);
    return client;
  }

  /** Publishes as the backend: every subscribed client gets it as a `publication` push. */
  publish(channel: string, data: unknown): Promise<{ offset: number; epoch: string }> {
    return this.server.publish(channel, data);
  }

  /** Closes the node; every client sees the close (3001). */
  async close(): Promise<void> {
    await this.server.close();
    await Promise.all([...this.clients].map((c) => c.closed));
  }
}
