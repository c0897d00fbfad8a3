import { Packr, Unpackr } from 'msgpackr';
import { WireError, WireErrorCode, type Codec, type WireMessage } from './codec.js';
import type { Command, Push, Reply, ServerMessage } from './messages.js';
import { Subprotocol } from './subprotocol.js';
import { validateCommands } from './validate-commands.js';
import { validateServerMessage } from './validate-server-message.js';

export interface MsgpackCodecOptions {
  /** Most commands one message may carry as a MessagePack array. @default 100 */
  maxBatch?: number;
}

// Plain maps and arrays, nothing msgpackr-specific on the wire (records, structured clone), so any
// MessagePack library can speak the protocol. `undefined` as JSON has it: a property is left out,
// an array item is nil. Decoded bytes are copies, so a publication kept in history does not pin
// the socket chunk it arrived in.
// (`skipValues` is in msgpackr's code and README but not its typings: hence the variable.)
const packOptions = { useRecords: false, skipValues: [undefined], encodeUndefinedAsNil: true };
const packr = new Packr(packOptions);
const objects = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
const maps = new Unpackr({ useRecords: false, mapsAsObjects: false, copyBuffers: true });

/**
 * The MessagePack codec (`switchboard.v1.msgpack`, binary frames), on `msgpackr`:
 * the same messages as the JSON codec (a command map or an array of them; replies
 * and pushes as maps with the same keys), and bytes in data as MessagePack `bin`.
 * Opt-in for the client (`@switchboard/client/msgpack`), so the default bundle
 * does not carry it. See docs/protocol.md and docs/decisions/0004-messagepack-codec.md.
 */
export class MsgpackCodec implements Codec {
  readonly subprotocol = Subprotocol.Msgpack;
  readonly binary = true;
  private readonly maxBatch: number;

  constructor(options: MsgpackCodecOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  decodeCommands(message: Uint8Array): Array<Command | WireError> {
    return validateCommands(unpack(message, WireErrorCode.MalformedCommand), this.maxBatch);
  }

  encodeReply(reply: Reply): Uint8Array {
    return packr.pack(reply);
  }

  encodePush(push: Push): Uint8Array {
    return packr.pack(push);
  }

  encodeCommand(command: Command): Uint8Array {
    return packr.pack(command);
  }

  decodeMessage(message: WireMessage): ServerMessage {
    if (typeof message === 'string')
      throw new WireError('a text message on the MessagePack protocol', undefined, WireErrorCode.MalformedMessage);
    return validateServerMessage(unpack(message, WireErrorCode.MalformedMessage));
  }
}

function unpack(message: Uint8Array, code: WireErrorCode): unknown {
  // A plain view: msgpackr hands out bytes of the input's class, and a Node Buffer is not what a peer sent.
  const bytes =
    message.constructor === Uint8Array
      ? message
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  try {
    // msgpackr renames a `__proto__` key when it builds objects; the rare message that has one
    // is decoded into Maps and rebuilt with the key kept as data.
    return hasProtoKey(bytes) ? fromMaps(maps.unpack(bytes)) : objects.unpack(bytes);
  } catch {
    throw new WireError('message is not valid MessagePack', undefined, code);
  }
}

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

function hasProtoKey(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(0x5f); i >= 0 && i + PROTO.length <= bytes.length; i = bytes.indexOf(0x5f, i + 1)) {
    let j = 1;
    while (j < PROTO.length && bytes[i + j] === PROTO[j]) j++;
    if (j === PROTO.length) return true;
  }
  return false;
}

function fromMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromMaps);
  if (!(value instanceof Map)) return value;
  const object: Record<string, unknown> = {};
  // defineProperty: a `__proto__` key is data, and assigning it would set the prototype.
  for (const [key, item] of value)
    Object.defineProperty(object, String(key), {
      value: fromMaps(item),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  return object;
}
