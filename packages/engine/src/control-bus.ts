/** A node-to-node command: disconnect a user, unsubscribe one, announce a node… */
export interface ControlMessage {
  type: string;
  /** The sending node. */
  from: string;
  payload: unknown;
}

export interface ControlHandler {
  onControl(message: ControlMessage): void;
  /**
   * Answers a `request` addressed to this node (forwarded commands of the
   * sticky-free transports). The value returned (or resolved) must be
   * JSON-serialisable and is the requester's result; a throw or rejection
   * reaches the requester as `ControlRequestError` `SB_ERR_CONTROL_HANDLER`.
   * Optional: a node without it answers every request with that error.
   */
  onRequest?(message: ControlMessage): unknown;
}

export interface ControlRequestOptions {
  /** How long to wait for the answer. @default 5000 */
  timeoutMs?: number;
}

/**
 * Commands between server nodes.
 *
 * Contract: `broadcast` reaches every node on the bus including the sender, at most
 * once each; `send` reaches only the named node. Nothing is stored: a node that is
 * down misses the command. Commands from different senders have no order between
 * them (on a NATS cluster each sender's server routes its own).
 *
 * `request` delivers one message to the named node's `onRequest` (at most once;
 * it is never resent) and resolves with what that handler returned. It rejects with
 * `ControlRequestError`: `SB_ERR_CONTROL_NO_NODE` when no node of that id is on
 * the bus (where the engine can tell; otherwise the request times out),
 * `SB_ERR_CONTROL_TIMEOUT` when no answer came within `timeoutMs` (the handler
 * may still have run), `SB_ERR_CONTROL_HANDLER` when the handler threw or the node
 * has none. While the bus's backend is unreachable every method fails fast with
 * `EngineUnavailableError` (115).
 */
export interface ControlBus {
  readonly nodeId: string;
  broadcast(type: string, payload: unknown): Promise<void>;
  send(nodeId: string, type: string, payload: unknown): Promise<void>;
  request(nodeId: string, type: string, payload: unknown, options?: ControlRequestOptions): Promise<unknown>;
  close(): Promise<void>;
}

/** The default `timeoutMs` of `ControlBus.request`. */
export const DEFAULT_CONTROL_REQUEST_TIMEOUT_MS = 5000;
