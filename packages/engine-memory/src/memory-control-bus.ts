import {
  answerControlRequest,
  ControlRequestError,
  ControlRequestErrorCode,
  DEFAULT_CONTROL_REQUEST_TIMEOUT_MS,
  type ControlBus,
  type ControlHandler,
  type ControlRequestOptions,
} from '@switchboard/engine';

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

  async request(nodeId: string, type: string, payload: unknown, options: ControlRequestOptions = {}): Promise<unknown> {
    const handler = this.hub.nodes.get(nodeId);
    if (!handler) throw new ControlRequestError(ControlRequestErrorCode.NoSuchNode, `no node ${nodeId} on the bus`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_REQUEST_TIMEOUT_MS;
    // A copy, as a network bus would hand over: the handler cannot share objects with the caller.
    const message = structuredClone({ type, from: this.nodeId, payload });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ControlRequestError(ControlRequestErrorCode.Timeout, `no answer from ${nodeId} within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
    });
    try {
      const answer = await Promise.race([
        Promise.resolve().then(() => answerControlRequest(handler, message)),
        timeout,
      ]);
      if (!answer.ok) throw new ControlRequestError(ControlRequestErrorCode.HandlerFailed, answer.error);
      return structuredClone(answer.result);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.hub.nodes.delete(this.nodeId);
  }
}
