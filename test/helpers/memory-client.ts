import { MemoryTransport, type ConnectionRequest, type SwitchboardServer } from '@switchboard/server';
import { JsonCodec, type Push } from '@switchboard/wire';
import { until } from './wait.js';

const codec = new JsonCodec();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Reply = { id: number; result?: any; error?: { code: number; message: string; temporary?: boolean } };

/** A protocol-level client over a MemoryTransport: commands and their replies, every push, and the close. */
export class MemoryClient {
  readonly pushes: Push[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly replies = new Map<number, Reply>();
  private nextId = 1;
  readonly transport: MemoryTransport;

  constructor(server: SwitchboardServer, request?: ConnectionRequest) {
    this.transport = new MemoryTransport(codec, {
      onMessage: (bytes) => {
        const message = JSON.parse(decoder.decode(bytes)) as Reply & Push;
        if (typeof message.id === 'number') this.replies.set(message.id, message);
        else this.pushes.push(message);
      },
      onClose: (code, reason) => (this.closed = { code, reason }),
    });
    server.open(this.transport, request);
  }

  /** Sends one command; resolves with its whole reply (result or error). */
  async command(method: string, params: object = {}, timeoutMs = 5000): Promise<Reply> {
    const id = this.nextId++;
    this.transport.send(encoder.encode(JSON.stringify({ id, method, params })));
    await until(() => this.replies.has(id) || this.closed !== undefined, `reply to ${method}`, timeoutMs);
    const reply = this.replies.get(id);
    if (!reply) throw new Error(`connection closed ${this.closed!.code} ${this.closed!.reason}`);
    return reply;
  }

  async push(match: (push: Push) => boolean, timeoutMs = 5000): Promise<Push> {
    await until(() => this.pushes.some(match), 'push', timeoutMs);
    return this.pushes.find(match)!;
  }

  close(): void {
    this.transport.closeFromClient();
  }
}
