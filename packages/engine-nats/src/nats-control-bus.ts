import {
  answerControlRequest,
  ControlRequestError,
  ControlRequestErrorCode,
  DEFAULT_CONTROL_REQUEST_TIMEOUT_MS,
  EngineUnavailableError,
  type ControlBus,
  type ControlHandler,
  type ControlMessage,
  type ControlRequestOptions,
} from '@switchboard/engine';
import { JsonBytes } from '@switchboard/wire';
import { RequestError, TimeoutError, type Subscription } from '@nats-io/transport-node';
import type { NatsLink } from './nats-link.js';
import type { NatsNames } from './nats-names.js';

type Answer = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * The ControlBus over core NATS: `<p>.ctl` to every node, `<p>.node.<id>` to one,
 * and NATS request/reply on `<p>.req.<id>` for `request`. Nothing is stored. A
 * request to a subject with no subscriber gets NATS's "no responders" at once,
 * which is how a missing node is told apart from a slow one.
 */
export class NatsControlBus implements ControlBus {
  private readonly subscriptions: Subscription[] = [];
  private readonly codec = {
    encode: (v: unknown) => JsonBytes.stringify(v),
    decode: (b: Uint8Array) => JsonBytes.parse(new TextDecoder().decode(b)),
  };

  constructor(
    private readonly link: NatsLink,
    private readonly names: NatsNames,
    readonly nodeId: string,
    private readonly handler: ControlHandler,
  ) {}

  async start(): Promise<void> {
    const { nc } = this.link;
    const onControl = (message: Uint8Array) => this.handler.onControl(this.codec.decode(message) as ControlMessage);
    this.subscriptions.push(
      nc.subscribe(this.names.controlBroadcast, { callback: (error, m) => void (error ?? onControl(m.data)) }),
      nc.subscribe(this.names.controlNode(this.nodeId), { callback: (error, m) => void (error ?? onControl(m.data)) }),
      nc.subscribe(this.names.controlRequest(this.nodeId), {
        callback: (error, m) => {
          if (error) return;
          void answerControlRequest(this.handler, this.codec.decode(m.data) as ControlMessage).then((answer) =>
            m.respond(this.codec.encode(answer)),
          );
        },
      }),
    );
    await this.link.run('control subscribe', () => nc.flush());
    await this.link.settleRoutes(); // else a broadcast from a node on another server misses us
  }

  async broadcast(type: string, payload: unknown): Promise<void> {
    await this.publish(this.names.controlBroadcast, type, payload);
  }

  async send(nodeId: string, type: string, payload: unknown): Promise<void> {
    await this.publish(this.names.controlNode(nodeId), type, payload);
  }

  async request(nodeId: string, type: string, payload: unknown, options: ControlRequestOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_REQUEST_TIMEOUT_MS;
    const body = this.codec.encode({ type, from: this.nodeId, payload } satisfies ControlMessage);
    let reply;
    try {
      reply = await this.link.run('control request', () =>
        this.link.nc.request(this.names.controlRequest(nodeId), body, { timeout: timeoutMs }),
      );
    } catch (error) {
      const cause = error instanceof EngineUnavailableError ? error.cause : error;
      if (cause instanceof RequestError && cause.isNoResponders())
        throw new ControlRequestError(ControlRequestErrorCode.NoSuchNode, `no node ${nodeId} on the bus`, { cause });
      if (cause instanceof TimeoutError || (cause instanceof RequestError && cause.cause instanceof TimeoutError)) {
        throw new ControlRequestError(
          ControlRequestErrorCode.Timeout,
          `no answer from ${nodeId} within ${timeoutMs} ms`,
          { cause },
        );
      }
      throw error;
    }
    const answer = this.codec.decode(reply.data) as Answer;
    if (!answer.ok) throw new ControlRequestError(ControlRequestErrorCode.HandlerFailed, answer.error);
    return answer.result;
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    // Once the servers have the unsubscribe (ours at the flush, a cluster's others over routes a moment
    // later), a request to this node gets "no responders" rather than a timeout.
    const { nc } = this.link;
    if (nc.isClosed()) return;
    await nc.flush().catch(() => {});
    await this.link.settleRoutes();
  }

  /**
   * Resolves once the server has taken the message (a flush round trip), as a Redis PUBLISH does: a
   * command sent after it, by any node, then reaches a node on the same server after it.
   */
  private async publish(subject: string, type: string, payload: unknown): Promise<void> {
    await this.link.run('control publish', async () => {
      this.link.nc.publish(subject, this.codec.encode({ type, from: this.nodeId, payload } satisfies ControlMessage));
      await this.link.nc.flush();
    });
  }
}
