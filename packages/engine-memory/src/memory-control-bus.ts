import type { ControlBus, ControlHandler } from '@switchboard/engine';

/** The nodes on one in-process bus. */
export class MemoryControlHub {
  readonly nodes = new Map<string, ControlHandler>();
}

/** Delivers on a later microtask, as a network bus would: never inside the sender's call. */
export class MemoryControlBus implements ControlBus {
  constructor(
    private readonly hub: MemoryControlHub,
    readonly nodeId: string,
    handler: ControlHandler,
  ) {
    hub.nodes.set(nodeId, handler);
  }

  async broadcast(type: string, payload: unknown): Promise<void> {
    const message = { type, from: this.nodeId, payload };
    for (const handler of this.hub.nodes.values()) queueMicrotask(() => handler.onControl(message));
  }

  async send(nodeId: string, type: string, payload: unknown): Promise<void> {
    const handler = this.hub.nodes.get(nodeId);
    const message = { type, from: this.nodeId, payload };
    if (handler) queueMicrotask(() => handler.onControl(message));
  }

  async close(): Promise<void> {
    this.hub.nodes.delete(this.nodeId);
  }
}
