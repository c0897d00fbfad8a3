import { createHash } from 'node:crypto';
import { hmacHex, signatureMatches } from './pusher-signature.js';

/** A REST request refused before it is served: Pusher's status and text. */
export class PusherRestError extends Error {
  override name = 'PusherRestError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 413 | 500,
    message: string,
  ) {
    super(message);
  }
}

/** How far `auth_timestamp` may be from the server's clock (s), as Pusher documents. */
const MAX_CLOCK_SKEW_S = 600;

/** A request's query as the signer wrote it: raw `key=value` pairs, not decoded (the SDK signs them unencoded). */
export function rawQuery(url: string): Map<string, string> {
  const q = url.indexOf('?');
  const params = new Map<string, string>();
  if (q < 0) return params;
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    params.set(eq < 0 ? pair : pair.slice(0, eq), eq < 0 ? '' : pair.slice(eq + 1));
  }
  return params;
}

/**
 * Checks a signed REST request (Pusher's `auth_version` 1.0): the key, a
 * timestamp within 600 s, `body_md5` over the raw body, and the HMAC-SHA256 of
 * `METHOD\npath\nsorted query` (every parameter but `auth_signature`, sorted by
 * key, as sent). Every comparison is in constant time. Throws 401.
 */
export function verifyRequest(
  app: { key: string; secret: string },
  method: string,
  path: string,
  query: Map<string, string>,
  body: Buffer,
  nowS: number,
): void {
  const fail = (why: string): never => {
    throw new PusherRestError(401, why);
  };
  const key = query.get('auth_key');
  const signature = query.get('auth_signature');
  const timestamp = Number(query.get('auth_timestamp'));
  if (key === undefined || signature === undefined || !query.has('auth_timestamp'))
    fail('Authentication signature invalid: auth_key, auth_timestamp and auth_signature are required');
  if (!signatureMatches(key!, app.key)) fail('Unknown auth_key');
  if (query.get('auth_version') !== '1.0') fail('auth_version must be 1.0');
  if (!Number.isSafeInteger(timestamp) || Math.abs(nowS - timestamp) > MAX_CLOCK_SKEW_S)
    fail(
      `Timestamp expired: ${String(query.get('auth_timestamp'))} is more than ${MAX_CLOCK_SKEW_S} ` +
        `s from the server time ${nowS}`,
    );
  const md5 = query.get('body_md5');
  if (body.length > 0 || md5 !== undefined) {
    if (md5 === undefined || !signatureMatches(md5, createHash('md5').update(body).digest('hex')))
      fail('body_md5 does not match the body');
  }
  const signed = [...query]
    .filter(([k]) => k !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  if (!signatureMatches(signature!, hmacHex(app.secret, `${method}\n${path}\n${signed}`)))
    fail('Invalid signature: you should have sent HmacSHA256Hex(secret, METHOD\\npath\\nsorted query)');
}
