import type { Frame, MaskSource } from './frame.js';
import { applyMask } from './mask.js';
import { Opcode } from './opcode.js';

/** Length of the header that precedes a payload of `length` bytes (§5.2). */
export function frameHeaderLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header into `out` at `at`; returns the offset after it (the mask key, if any, is written by the
 * caller).
 */
function writeHeader(out: Uint8Array, at: number, frame: Frame, masked: boolean): number {
  const length = frame.payload.length;
  out[at++] = (frame.fin ? 0x80 : 0) | frame.rsv | frame.opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    out[at++] = maskBit | length;
  } else if (length < 0x10000) {
    out[at++] = maskBit | 126;
    out[at++] = length >>> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    out[at++] = 0;
    out[at++] = 0;
    out[at++] = (high >>> 8) & 0xff;
    out[at++] = high & 0xff;
    out[at++] = (length >>> 24) & 0xff;
    out[at++] = (length >>> 16) & 0xff;
    out[at++] = (length >>> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  return at;
}

/** Unmasked payloads at least this long are sent as a separate chunk instead of being copied behind the header. */
const COPY_LIMIT = 16 * 1024;

/**
 * Encodes a frame into one or two chunks ready for the wire.
 * With a mask source (client side, §5.3) the payload is copied and masked, so
 * the caller's buffer is never modified. Without one (server side) a large
 * payload is not copied: the header and the caller's buffer go out as two
 * chunks, which the shell writes together.
 */
export function serializeFrame(frame: Frame, maskSource: MaskSource | null): Uint8Array[] {
  const length = frame.payload.length;
  const masked = maskSource !== null;
  const headerLength = frameHeaderLength(length, masked);
  if (!masked && length >= COPY_LIMIT) {
    const header = new Uint8Array(headerLength);
    writeHeader(header, 0, frame, false);
    return [header, frame.payload];
  }
  const out = new Uint8Array(headerLength + length);
  let at = writeHeader(out, 0, frame, masked);
  if (masked) {
    const key = out.subarray(at, at + 4);
    maskSource(key);
    at += 4;
    out.set(frame.payload, at);
    applyMask(out, key, at, at + length, 0);
  } else {
    out.set(frame.payload, at);
  }
  return [out];
}

/**
 * A data message framed once, unmasked and uncompressed, ready to be written to
 * any number of server connections. An extension may also encode it once for
 * every connection that shares its parameters (`Extension.encodeShared`) and
 * keep that frame in `shared`, under a key of its own.
 */
export interface PreparedFrame {
  readonly bytes: Uint8Array;
  /** The message's data (a view of `bytes` after the header). */
  readonly payload?: Uint8Array;
  readonly binary?: boolean;
  /** `false`: never transform (compress) it, whatever was negotiated. @default true */
  readonly transform?: boolean;
  /** Frames encoded once per set of shared parameters, e.g. `deflate:15`. */
  shared?: Map<string, Uint8Array>;
}

/** Frames a message once for fan-out: every subscriber gets the same bytes (no per-socket framing or copying). */
export function prepareFrame(
  payload: Uint8Array,
  binary: boolean,
  options: { transform?: boolean } = {},
): PreparedFrame {
  const bytes = frameMessage(payload, binary, 0);
  return {
    bytes,
    payload: bytes.subarray(bytes.length - payload.length),
    binary,
    transform: options.transform ?? true,
  };
}

/** One unfragmented, unmasked data frame with `rsv` set: header and payload in one array. */
export function frameMessage(payload: Uint8Array, binary: boolean, rsv: number): Uint8Array {
  const bytes = new Uint8Array(frameHeaderLength(payload.length, false) + payload.length);
  const at = writeHeader(bytes, 0, { fin: true, rsv, opcode: binary ? Opcode.Binary : Opcode.Text, payload }, false);
  bytes.set(payload, at);
  return bytes;
}
