/** A node-to-node command: disconnect a user, unsubscribe one, announce a node… */
export interface ControlMessage {
  type: string;
  /** The sending node. */
  from: string;
  payload: unknown;
}

export interface ControlHandler {
  onControl(message: ControlMessage): void;
}

/**
 * Commands between server nodes.
 *
 * Contract: `broadcast` reaches every node on the bus including the sender, at most
 * once each; `send` reaches only the named node. Nothing is stored: a node that is
 * down misses the command.
 */
export interface ControlBus {
  readonly nodeId: string;
  broadcast(type: string, payload: unknown): Promise<void>;
  send(nodeId: string, type: string, payload: unknown): Promise<void>;
  close(): Promise<void>;
}
