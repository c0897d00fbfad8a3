import { CloseCode, isValidWireCloseCode } from './close-code.js';
import { ErrorCode, ProtocolError, protocolError } from './errors.js';
import { isValidUtf8 } from './utf8-validator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Close reasons must fit a control frame: 125 bytes minus the 2-byte code (§5.5.1). */
export const MAX_CLOSE_REASON_BYTES = 123;

export interface ClosePayload {
  code: number;
  reason: string;
}

/** Parses a received close frame body (§5.5.1, §7.4). An empty body means 1005. */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CloseCode.NoStatusReceived, reason: '' };
  if (payload.length === 1) throw protocolError(ErrorCode.InvalidClosePayload, 'invalid close payload');
  const code = (payload[0] << 8) | payload[1];
  if (!isValidWireCloseCode(code)) throw protocolError(ErrorCode.InvalidCloseCode, 'invalid close code');
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    throw new ProtocolError(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload, 'invalid UTF-8 in close reason');
  }
  return { code, reason: decoder.decode(reasonBytes) };
}

/**
 * Builds a close frame body. 1005, 1006 and 1015 must never be sent: a close
 * without a code is an empty body. Reasons are truncated on a code point
 * boundary to fit.
 */
export function encodeClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined || code === CloseCode.NoStatusReceived) return new Uint8Array(0);
  if (!isValidWireCloseCode(code))
    throw protocolError(ErrorCode.InvalidCloseCode, `close code ${code} may not be sent`);
  const reasonBytes = truncateUtf8(encoder.encode(reason), MAX_CLOSE_REASON_BYTES);
  const out = new Uint8Array(2 + reasonBytes.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reasonBytes, 2);
  return out;
}

/** Cuts `bytes` to at most `max` bytes without splitting a UTF-8 sequence. */
export function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
