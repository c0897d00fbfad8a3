import type { Command, Push, Reply } from './messages.js';

/**
 * A wire format for the protocol. The semantics are the same in every codec; only
 * the bytes differ, so a binary codec can be added without touching the server.
 * The server encodes each push once per codec and writes the same bytes to every
 * subscriber using that codec.
 */
export interface Codec {
  /** The WebSocket subprotocol that selects this codec, e.g. `switchboard.v1.json`. */
  readonly subprotocol: string;
  /** Whether messages travel as binary frames (else text). */
  readonly binary: boolean;
  /**
   * One received message → its commands. A malformed message throws WireError;
   * a malformed command inside a good message comes back as a WireError in its
   * place, so the others still run and it alone gets its reply error.
   */
  decodeCommands(message: Uint8Array): Array<Command | WireError>;
  encodeReply(reply: Reply): Uint8Array;
  encodePush(push: Push): Uint8Array;
}

/** A message that is not a valid command (batch). `id` is set when the bad command's id could be read. */
export class WireError extends Error {
  readonly code = 'SB_ERR_MALFORMED_COMMAND';
  constructor(
    message: string,
    readonly id?: number,
  ) {
    super(message);
    this.name = 'WireError';
  }
}
