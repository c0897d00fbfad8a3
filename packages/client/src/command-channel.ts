import type {
  ClientCodec,
  Command,
  ParamsOf,
  ReplyError,
  RequestMethod,
  ResultOf,
  WireMessage,
} from '@switchboard/wire';
import { ClientError, ClientErrorCode } from './client-errors.js';

/** Where a command's outcome goes; called synchronously as its reply is read. */
export interface ReplyHandler<T = unknown> {
  resolve(result: T): void;
  reject(error: ClientError): void;
}

/** What the channel writes to: the open WebSocket. */
export interface MessageSink {
  send(message: WireMessage): void;
}

export interface CommandOptions {
  /** Safe to send again after a dropped connection (idempotent): re-queued instead of failing with ConnectionLost. */
  retry?: boolean;
  /** Overrides the client's `timeoutMs`. */
  timeoutMs?: number;
}

interface Pending {
  method: Command['method'];
  params: object;
  // The reply's result has the type its method's request asked for (MethodMap).
  handler: ReplyHandler<any>;
  /** `send` has no reply: it is done once written. */
  expectsReply: boolean;
  retry: boolean;
  id?: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The client's commands on the wire: ids, replies, timeouts, and a bounded queue
 * for the ones made while disconnected. A command is never silently lost: it is
 * sent, or it fails with a ClientError (QueueFull, Timeout, ConnectionLost, Closed).
 */
export class CommandChannel {
  private socket: MessageSink | undefined;
  private flowing = false;
  private nextId = 1;
  private readonly inFlight = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  /** Set while the client is closed: new commands fail with it at once. */
  private refusal: ClientError | undefined;

  constructor(
    private readonly codec: ClientCodec,
    private readonly limits: { timeoutMs: number; maxQueue: number },
  ) {}

  /** A command with a reply; waits for a connection in the queue while there is none. */
  request<M extends RequestMethod>(method: M, params: ParamsOf<M>, options: CommandOptions = {}): Promise<ResultOf<M>> {
    return new Promise((resolve, reject) =>
      this.enqueue(
        { method, params, handler: { resolve, reject }, expectsReply: true, retry: options.retry ?? false },
        options.timeoutMs,
      ),
    );
  }

  /** A fire-and-forget `send`: resolves once written to a connection. */
  send(params: ParamsOf<'send'>): Promise<void> {
    return new Promise((resolve, reject) =>
      this.enqueue({
        method: 'send',
        params,
        handler: { resolve: () => resolve(), reject },
        expectsReply: false,
        retry: false,
      }),
    );
  }

  /**
   * Writes now on the open socket, ahead of the queue: `connect`, and the
   * subscription commands, which each connect re-sends and so never queue.
   */
  call<M extends RequestMethod>(method: M, params: ParamsOf<M>, handler: ReplyHandler<ResultOf<M>>): void {
    if (!this.socket) return handler.reject(new ClientError(ClientErrorCode.ConnectionLost, 'not connected', true));
    const pending: Pending = { method, params, handler, expectsReply: true, retry: false };
    this.arm(pending);
    this.write(pending);
  }

  /** A socket is open: `call` may write; the queue waits for `flow()` (after `connect`). */
  attach(socket: MessageSink): void {
    this.socket = socket;
    this.flowing = false;
  }

  /** Connected: queued commands go out, in order. */
  flow(): void {
    this.flowing = true;
    for (let next = this.queue.shift(); next && this.socket; next = this.queue.shift()) this.write(next);
  }

  /**
   * The socket is gone: idempotent commands go back to the front of the queue, in order; the others fail with
   * ConnectionLost.
   */
  detach(): void {
    this.socket = undefined;
    this.flowing = false;
    const again: Pending[] = [];
    for (const pending of this.inFlight.values()) {
      if (pending.retry) again.push(pending);
      else
        this.settle(
          pending,
          new ClientError(ClientErrorCode.ConnectionLost, `connection lost before the ${pending.method} reply`, true),
        );
    }
    this.inFlight.clear();
    this.queue.unshift(...again);
  }

  /** The client closed: everything waiting fails with `error`, and so does every new command until `reopen()`. */
  close(error: ClientError): void {
    this.refusal = error;
    for (const pending of [...this.inFlight.values(), ...this.queue.splice(0)]) this.settle(pending, error);
    this.inFlight.clear();
  }

  reopen(): void {
    this.refusal = undefined;
  }

  /** Routes a reply to its command (a reply to a command that timed out is dropped). */
  reply(message: { id: number; result?: unknown; error?: ReplyError }): void {
    const pending = this.inFlight.get(message.id);
    if (!pending) return;
    this.inFlight.delete(message.id);
    if (message.error)
      this.settle(
        pending,
        new ClientError(message.error.code, message.error.message, message.error.temporary ?? false),
      );
    else this.settle(pending, undefined, message.result);
  }

  private enqueue(pending: Pending, timeoutMs?: number): void {
    if (this.refusal) return pending.handler.reject(this.refusal);
    if (this.socket && this.flowing) {
      this.arm(pending, timeoutMs);
      return this.write(pending);
    }
    if (this.queue.length >= this.limits.maxQueue) {
      return pending.handler.reject(
        new ClientError(ClientErrorCode.QueueFull, `${this.queue.length} commands already wait for a connection`, true),
      );
    }
    this.arm(pending, timeoutMs);
    this.queue.push(pending);
  }

  private arm(pending: Pending, timeoutMs = this.limits.timeoutMs): void {
    pending.timer = setTimeout(() => {
      if (pending.id !== undefined) this.inFlight.delete(pending.id);
      const queued = this.queue.indexOf(pending);
      if (queued >= 0) this.queue.splice(queued, 1);
      this.settle(
        pending,
        new ClientError(ClientErrorCode.Timeout, `${pending.method} timed out after ${timeoutMs} ms`, true),
      );
    }, timeoutMs);
  }

  private write(pending: Pending): void {
    if (!pending.expectsReply) {
      this.socket!.send(this.codec.encodeCommand({ method: pending.method, params: pending.params } as Command));
      return this.settle(pending);
    }
    pending.id = this.nextId++;
    this.inFlight.set(pending.id, pending);
    this.socket!.send(
      this.codec.encodeCommand({ id: pending.id, method: pending.method, params: pending.params } as Command),
    );
  }

  private settle(pending: Pending, error?: ClientError, result?: unknown): void {
    clearTimeout(pending.timer);
    if (error) pending.handler.reject(error);
    else pending.handler.resolve(result);
  }
}
