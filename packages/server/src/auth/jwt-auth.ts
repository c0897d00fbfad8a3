import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DisconnectCode, ReplyErrorCode } from '@switchboard/wire';
import { CommandError, DisconnectError, commandErrors } from '../errors.js';
import type { ConnectingResult } from '../hooks.js';
import { assertSubscriptionGrant, connectionIdentity } from './jwt-claims.js';
import type { ResolvedJwtOptions } from './jwt-options.js';
import { VerificationCache } from './verification-cache.js';

/**
 * Published on every token check with `{ cached }`: whether the verification
 * cache answered. Free when no one subscribes (node:diagnostics_channel).
 */
const verifyChannel = diagnosticsChannel('switchboard:jwt:verify');

/** jose errors that say the key set could not be had, not that the token is bad. */
const KEY_SET_UNAVAILABLE = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/**
 * Verifies connection and subscribe tokens (jose) and remembers the verified
 * ones for a short time. An expired token gets 109, so the client fetches a
 * fresh one; a bad one is refused (connection: 3500, subscribe: 103); a key set
 * that cannot be fetched is an internal error (100, temporary), never the
 * client's fault.
 */
export class JwtAuth {
  private readonly getKey: JWTVerifyGetKey;
  private readonly cache: VerificationCache<JWTPayload>;

  constructor(private readonly options: ResolvedJwtOptions) {
    const { key } = options;
    this.getKey = key instanceof URL ? createRemoteJWKSet(key) : async () => key;
    this.cache = new VerificationCache(options.cacheSize, options.cacheTtlMs);
  }

  /** Who a connection token (`connect`, `refresh`) says the client is. */
  async identify(token: string): Promise<ConnectingResult> {
    const invalid = (cause: unknown) => new DisconnectError(DisconnectCode.InvalidToken, 'invalid token', { cause });
    const payload = await this.verify(token, invalid);
    try {
      return connectionIdentity(payload);
    } catch (error) {
      throw invalid(error);
    }
  }

  /** Refuses (103) unless `token` is a subscribe token for `channel` issued to `userId`. */
  async authorizeSubscription(token: string, channel: string, userId: string): Promise<void> {
    const payload = await this.verify(token, () => commandErrors.permissionDenied('invalid subscribe token'));
    try {
      assertSubscriptionGrant(payload, channel, userId);
    } catch (error) {
      throw commandErrors.permissionDenied((error as Error).message);
    }
  }

  private async verify(token: string, invalid: (cause: unknown) => Error): Promise<JWTPayload> {
    const cached = this.cache.get(token);
    if (verifyChannel.hasSubscribers) verifyChannel.publish({ cached: cached !== undefined });
    if (cached) return cached;
    const { algorithms, issuer, audience } = this.options;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, { algorithms, issuer, audience }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new CommandError(ReplyErrorCode.TokenExpired, 'token expired');
      if (error instanceof errors.JOSEError && !KEY_SET_UNAVAILABLE.has(error.code)) throw invalid(error);
      throw error;
    }
    this.cache.set(token, payload, payload.exp === undefined ? undefined : payload.exp * 1000);
    return payload;
  }
}
