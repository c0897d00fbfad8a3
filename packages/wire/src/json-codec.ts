import { WireError, WireErrorCode, type ClientCodec, type Codec, type WireMessage } from './codec.js';
import { JsonBytes } from './json-bytes.js';
import type { Command, Push, Reply, ServerMessage } from './messages.js';
import { Subprotocol } from './subprotocol.js';
import { validateCommands } from './validate-commands.js';
import { validateServerMessage } from './validate-server-message.js';

export interface JsonCodecOptions {
  /** Most commands one message may carry as a JSON array. @default 100 */
  maxBatch?: number;
}

/**
 * The client half of the JSON codec on its own (the SDK's default), so that a
 * bundle without `JsonCodec` carries no command validation. `JsonCodec` uses it.
 */
export const jsonClientCodec: ClientCodec = {
  subprotocol: Subprotocol.Json,
  binary: false,
  encodeCommand: (command: Command): string => JsonBytes.stringify(command),
  decodeMessage(message: WireMessage): ServerMessage {
    let parsed: unknown;
    try {
      parsed = JsonBytes.parse(typeof message === 'string' ? message : utf8.decode(message));
    } catch {
      throw new WireError('server message is not valid JSON', undefined, WireErrorCode.MalformedMessage);
    }
    return validateServerMessage(parsed);
  },
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON codec (`switchboard.v1.json`, text frames). A message is one command
 * object or an array of them: `{"id":1,"method":"subscribe","params":{"channel":"chat:lobby"}}`.
 * Bytes in data travel as `{"$bytes":"<base64>"}` (JsonBytes). See docs/protocol.md.
 */
export class JsonCodec implements Codec {
  readonly subprotocol = Subprotocol.Json;
  readonly binary = false;
  private readonly maxBatch: number;
  private readonly encoder = new TextEncoder();

  constructor(options: JsonCodecOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  decodeCommands(message: Uint8Array): Array<Command | WireError> {
    let parsed: unknown;
    try {
      parsed = JsonBytes.parse(utf8.decode(message));
    } catch {
      throw new WireError('message is not valid JSON');
    }
    return this.decodeParsed(parsed);
  }

  /**
   * A message already parsed from JSON text (bytes revived, as `JsonBytes.parse` does) → its commands, as
   * `decodeCommands`.
   */
  decodeParsed(message: unknown): Array<Command | WireError> {
    return validateCommands(message, this.maxBatch);
  }

  encodeReply(reply: Reply): Uint8Array {
    return this.encoder.encode(JsonBytes.stringify(reply));
  }

  encodePush(push: Push): Uint8Array {
    return this.encoder.encode(JsonBytes.stringify(push));
  }

  encodeCommand(command: Command): string {
    return jsonClientCodec.encodeCommand(command) as string;
  }

  decodeMessage(message: WireMessage): ServerMessage {
    return jsonClientCodec.decodeMessage(message);
  }
}
