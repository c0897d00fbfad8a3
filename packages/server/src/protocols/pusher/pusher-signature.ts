import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lower-case hex HMAC-SHA256 of `data` with `secret`: every Pusher signature (channel auth, sign-in, REST). */
export function hmacHex(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest('hex');
}

/**
 * Compares a signature the peer sent with the one expected, in constant time:
 * both are hashed first, so the comparison is of equal-length digests and
 * leaks neither content nor length.
 */
export function signatureMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Checks `{key}:{hex HMAC(secret, signed)}`, the `auth` of a private or presence
 * subscription (signed: `socket_id:channel[:channel_data]`) and of a sign-in
 * (`socket_id::user::user_data`).
 */
export function authMatches(auth: unknown, key: string, secret: string, signed: string): boolean {
  return typeof auth === 'string' && signatureMatches(auth, `${key}:${hmacHex(secret, signed)}`);
}

/**
 * A connection's Pusher `socket_id` (`\d+\.\d+`), derived from its session's
 * client id (a UUID): the same on every node, so the REST API's `socket_id`
 * exclusion needs no lookup.
 */
export function socketIdOf(clientId: string): string {
  const hex = clientId.replace(/-/g, '');
  return `${Number.parseInt(hex.slice(0, 12), 16)}.${Number.parseInt(hex.slice(12, 24), 16)}`;
}
