import { WireError, WireErrorCode, type Codec, type WireMessage } from './codec.js';
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
 * The JSON codec (`switchboard.v1.json`, text frames). A message is one command
 * object or an array of them: `{"id":1,"method":"subscribe","params":{"channel":"chat:lobby"}}`.
 * Bytes in data travel as `{"$bytes":"<base64>"}` (JsonBytes). See docs/protocol.md.
 */
export class JsonCodec implements Codec {
  readonly subprotocol = Subprotocol.Json;
  readonly binary = false;
  private readonly maxBatch: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly encoder = new TextEncoder();

  constructor(options: JsonCodecOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  decodeCommands(message: Uint8Array): Array<Command | WireError> {
    let parsed: unknown;
    try {
      parsed = JsonBytes.parse(this.decoder.decode(message));
    } catch {
      throw new WireError('message is not valid JSON');
    }
    return validateCommands(parsed, this.maxBatch);
  }

  encodeReply(reply: Reply): Uint8Array {
    return this.encoder.encode(JsonBytes.stringify(reply));
  }

  encodePush(push: Push): Uint8Array {
    return this.encoder.encode(JsonBytes.stringify(push));
  }

  encodeCommand(command: Command): string {
    return JsonBytes.stringify(command);
  }

  decodeMessage(message: WireMessage): ServerMessage {
    let parsed: unknown;
    try {
      parsed = JsonBytes.parse(typeof message === 'string' ? message : this.decoder.decode(message));
    } catch {
      throw new WireError('server message is not valid JSON', undefined, WireErrorCode.MalformedMessage);
    }
    return validateServerMessage(parsed);
  }
}
