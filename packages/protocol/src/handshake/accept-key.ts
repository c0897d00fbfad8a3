/** SHA-1, injected by the shell (node:crypto, WebCrypto…) so the core stays free of I/O and platform imports. */
export type Sha1 = (data: Uint8Array) => Uint8Array;

/** §1.3: the GUID every server appends to the client's key. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** §4.2.2 step 5.4: base64(SHA-1(key + GUID)). */
export function computeAcceptKey(key: string, sha1: Sha1): string {
  return toBase64(sha1(new TextEncoder().encode(key + WEBSOCKET_GUID)));
}

/** §4.1: the key is base64 of exactly 16 bytes: 22 characters and "==". */
export function isValidClientKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}
