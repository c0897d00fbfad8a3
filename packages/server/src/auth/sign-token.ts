import { SignJWT } from 'jose';
import type { TokenClaims } from './jwt-claims.js';
import { MIN_SECRET_LENGTH } from './jwt-options.js';

/**
 * An HS256 token in the format the server reads (jwt-claims.ts), for
 * development and tests (`switchboard token`); production tokens come from the
 * application's own auth service.
 */
export function signToken(claims: TokenClaims, options: { secret: string; ttlSeconds: number }): Promise<string> {
  if (options.secret.length < MIN_SECRET_LENGTH)
    throw new TypeError(`the secret must be at least ${MIN_SECRET_LENGTH} characters`);
  if (!(Number.isSafeInteger(options.ttlSeconds) && options.ttlSeconds > 0))
    throw new TypeError('ttlSeconds must be a positive integer');
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(new TextEncoder().encode(options.secret));
}
