import { randomUUID } from 'node:crypto';
import {
  answerControlRequest,
  ControlRequestError,
  ControlRequestErrorCode,
  DEFAULT_CONTROL_REQUEST_TIMEOUT_MS,
  type ControlBus,
  type ControlHandler,
  type ControlMessage,
  type ControlRequestOptions,
} from '@switchboard/engine';
import { JsonBytes } from '@switchboard/wire';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShards } from './redis-shards.js';

/** What travels on a node's channel besides plain messages: a request (`rq`) or the answer to one (`rs`). */
type Envelope =
  | (ControlMessage & { rq?: string })
  | { rs: string; ok: true; result: unknown }
  | { rs: string; ok: false; error: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The ControlBus over pub/sub on the first shard: one channel to all nodes, one per
 * node. Nothing is stored; payloads are JsonBytes text, so bytes survive. A request is a message on the target's
 * channel carrying an id; the answer comes back on the asker's channel. PUBLISH reports how many
 * subscribers it reached, so a request to a node that is not subscribed fails at once.
 */
export class RedisControlBus implements ControlBus {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly shards: RedisShards,
    private readonly keys: RedisKeys,
    readonly nodeId: string,
    private readonly handler: ControlHandler,
  ) {}

  async start(): Promise<void> {
    const { subscriptions } = this.shards.control;
    await Promise.all([
      subscriptions.subscribe(this.keys.controlBroadcast),
      subscriptions.subscribe(this.keys.controlNode(this.nodeId)),
    ]);
  }

  async broadcast(type: string, payload: unknown): Promise<void> {
    await this.publish(this.keys.controlBroadcast, { type, from: this.nodeId, payload });
  }

  async send(nodeId: string, type: string, payload: unknown): Promise<void> {
    await this.publish(this.keys.controlNode(nodeId), { type, from: this.nodeId, payload });
  }

  async request(nodeId: string, type: string, payload: unknown, options: ControlRequestOptions = {}): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_REQUEST_TIMEOUT_MS;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ControlRequestError(ControlRequestErrorCode.Timeout, `no answer from ${nodeId} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    try {
      const reached = await this.publish(this.keys.controlNode(nodeId), { type, from: this.nodeId, payload, rq: id });
      if (reached === 0)
        throw new ControlRequestError(ControlRequestErrorCode.NoSuchNode, `no node ${nodeId} on the bus`);
    } catch (error) {
      this.settle(id);
      throw error;
    }
    return answer;
  }

  /** A message on one of the control channels. */
  deliver(message: string): void {
    const envelope = JsonBytes.parse(message) as Envelope;
    if ('rs' in envelope) {
      const pending = this.settle(envelope.rs);
      if (!pending) return; // timed out already
      if (envelope.ok) pending.resolve(envelope.result);
      else pending.reject(new ControlRequestError(ControlRequestErrorCode.HandlerFailed, envelope.error));
      return;
    }
    const { rq, ...control } = envelope;
    if (rq === undefined) {
      this.handler.onControl(control);
      return;
    }
    void answerControlRequest(this.handler, control)
      .then((answer) => this.publish(this.keys.controlNode(control.from), { rs: rq, ...answer }))
      .catch(() => {}); // the asker times out
  }

  isControl(name: string): boolean {
    return name === this.keys.controlBroadcast || name === this.keys.controlNode(this.nodeId);
  }

  async close(): Promise<void> {
    const { subscriptions } = this.shards.control;
    await Promise.all([
      subscriptions.unsubscribe(this.keys.controlBroadcast),
      subscriptions.unsubscribe(this.keys.controlNode(this.nodeId)),
    ]);
    for (const id of [...this.pending.keys()])
      this.settle(id)?.reject(
        new ControlRequestError(ControlRequestErrorCode.Timeout, 'the bus closed before the answer came'),
      );
  }

  private settle(id: string): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
    }
    return pending;
  }

  private publish(name: string, envelope: Envelope): Promise<number> {
    return this.shards.control.publish(name, JsonBytes.stringify(envelope));
  }
}
