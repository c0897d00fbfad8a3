import { timingSafeEqual } from 'node:crypto';

/** Does `Authorization: <scheme> <secret>` carry exactly `secret`? Compared in constant time. */
export function authorizationMatches(header: string | undefined, scheme: 'apikey' | 'Bearer', secret: Buffer | undefined): boolean {
  const prefix = `${scheme} `;
  if (!secret || !header?.startsWith(prefix)) return false;
  const given = Buffer.from(header.slice(prefix.length));
  return given.length === secret.length && timingSafeEqual(given, secret);
}
