/** SHA-1, injected by the shell (node:crypto, WebCrypto…) so the core stays free of I/O and platform imports. */
export type Sha1 = (data: Uint8Array) => Uint8Array;

/** §1.3: the GUID every server appends to the client's key. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Key + GUID, encoded here for keys of the valid length (24 + 36 bytes): no allocation per handshake. */
const input = new Uint8Array(24 + WEBSOCKET_GUID.length);
for (let i = 0; i < WEBSOCKET_GUID.length; i++) input[24 + i] = WEBSOCKET_GUID.charCodeAt(i);

/** §4.2.2 step 5.4: base64(SHA-1(key + GUID)). `sha1` must not keep its input (it is reused). */
export function computeAcceptKey(key: string, sha1: Sha1): string {
  if (key.length !== 24 || !/^[\x21-\x7e]{24}$/.test(key))
    return toBase64(sha1(new TextEncoder().encode(key + WEBSOCKET_GUID)));
  for (let i = 0; i < 24; i++) input[i] = key.charCodeAt(i);
  return toBase64(sha1(input));
}

/** §4.1: the key is base64 of exactly 16 bytes: 22 characters and "==". */
export function isValidClientKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = bytes[i] << 16;
    s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + '==';
  } else if (left === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + '=';
  }
  return s;
}
