import type { Command, Push, Reply, ServerMessage } from './messages.js';

/** One WebSocket message's payload: text for text codecs, bytes for binary ones. */
export type WireMessage = string | Uint8Array;

/**
 * A wire format for the protocol, for both ends. The semantics are the same in
 * every codec; only the bytes differ, so a codec can be added without touching
 * the server or the client. The server decodes commands and encodes replies and
 * pushes (each push once per codec, the same bytes to every subscriber using
 * it); the client encodes commands and decodes replies and pushes.
 *
 * Publication and message `data` is the JSON data model plus bytes
 * (`Uint8Array`): see docs/protocol.md for how each codec carries bytes.
 */
export interface Codec {
  /** The WebSocket subprotocol that selects this codec: one of `Subprotocol`. */
  readonly subprotocol: string;
  /** Whether messages travel as binary frames (else text). */
  readonly binary: boolean;

  // Server side.
  /**
   * One received message → its commands. A malformed message throws WireError;
   * a malformed command inside a good message comes back as a WireError in its
   * place, so the others still run and it alone gets its reply error.
   */
  decodeCommands(message: Uint8Array): Array<Command | WireError>;
  encodeReply(reply: Reply): Uint8Array;
  encodePush(push: Push): Uint8Array;

  // Client side.
  /** One command → one message (a string for text codecs, so it goes as a text frame). */
  encodeCommand(command: Command): WireMessage;
  /** One message from the server → its reply or push; anything else throws WireError (`SB_ERR_MALFORMED_MESSAGE`). */
  decodeMessage(message: WireMessage): ServerMessage;
}

/** The client's half of a codec: all the SDK needs, so its bundle need not carry the server's command validation. */
export type ClientCodec = Pick<Codec, 'subprotocol' | 'binary' | 'encodeCommand' | 'decodeMessage'>;

export const WireErrorCode = {
  /** A client's message or command is not valid: the server answers with reply error 107 or disconnects with 3003. */
  MalformedCommand: 'SB_ERR_MALFORMED_COMMAND',
  /** A server's message is not valid: the client drops the connection (3003) and reconnects. */
  MalformedMessage: 'SB_ERR_MALFORMED_MESSAGE',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** A message that is not valid in its codec. `id` is set when the bad command's id could be read. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly id?: number,
    readonly code: WireErrorCode = WireErrorCode.MalformedCommand,
  ) {
    super(message);
    this.name = 'WireError';
  }
}
