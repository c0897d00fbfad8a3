import type { ControlBus, ControlHandler, ControlMessage } from '@switchboard/engine';
import { JsonBytes } from '@switchboard/wire';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShards } from './redis-shards.js';

/** The ControlBus over pub/sub on the first shard: one channel to all nodes, one per node. Nothing is stored; payloads are JsonBytes text, so bytes survive. */
export class RedisControlBus implements ControlBus {
  constructor(
    private readonly shards: RedisShards,
    private readonly keys: RedisKeys,
    readonly nodeId: string,
    private readonly handler: ControlHandler,
  ) {}

  async start(): Promise<void> {
    const { subscriptions } = this.shards.control;
    await Promise.all([subscriptions.subscribe(this.keys.controlBroadcast), subscriptions.subscribe(this.keys.controlNode(this.nodeId))]);
  }

  broadcast(type: string, payload: unknown): Promise<void> {
    return this.publish(this.keys.controlBroadcast, type, payload);
  }

  send(nodeId: string, type: string, payload: unknown): Promise<void> {
    return this.publish(this.keys.controlNode(nodeId), type, payload);
  }

  /** A message on one of the control channels. */
  deliver(message: string): void {
    this.handler.onControl(JsonBytes.parse(message) as ControlMessage);
  }

  isControl(name: string): boolean {
    return name === this.keys.controlBroadcast || name === this.keys.controlNode(this.nodeId);
  }

  async close(): Promise<void> {
    const { subscriptions } = this.shards.control;
    await Promise.all([subscriptions.unsubscribe(this.keys.controlBroadcast), subscriptions.unsubscribe(this.keys.controlNode(this.nodeId))]);
  }

  private publish(name: string, type: string, payload: unknown): Promise<void> {
    return this.shards.control.publish(name, JsonBytes.stringify({ type, from: this.nodeId, payload } satisfies ControlMessage));
  }
}
