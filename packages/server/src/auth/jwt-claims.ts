import type { JWTPayload } from 'jose';
import type { ConnectingResult } from '../hooks.js';
import { parsePermissions, type ChannelPermissions } from './permissions.js';

/**
 * The claims Switchboard reads (docs/operations.md#authentication). A connection
 * token has no `channel`; a subscribe token has one, and its `sub` must be the
 * connection's user. The `channel` claim keeps either kind from passing as the other.
 */
export interface TokenClaims {
  /** The user id. */
  sub: string;
  /** Shared with others in presence and join/leave (`connInfo`). */
  info?: unknown;
  /** Server-side subscriptions made at connect. */
  channels?: string[];
  /** What the connection may do beyond the namespace rules; absent → the namespace rules alone. */
  allow?: ChannelPermissions;
  /** Subscribe tokens only: the one channel this token opens. */
  channel?: string;
}

/** A connection token's identity. Throws TypeError naming the malformed claim. */
export function connectionIdentity(payload: JWTPayload): ConnectingResult {
  const sub = requireSub(payload);
  if (payload.channel !== undefined)
    throw new TypeError('a subscribe token (with a channel claim) is not a connection token');
  const { channels } = payload;
  if (channels !== undefined && !(Array.isArray(channels) && channels.every((c) => typeof c === 'string'))) {
    throw new TypeError('channels must be a list of channel names');
  }
  let permissions: ChannelPermissions | undefined;
  try {
    permissions = parsePermissions(payload.allow);
  } catch (error) {
    throw new TypeError(`allow: ${(error as Error).message}`);
  }
  return {
    userId: sub,
    ...(payload.info !== undefined && { connInfo: payload.info }),
    ...(payload.exp !== undefined && { expiresAt: payload.exp * 1000 }),
    ...(channels !== undefined && { channels: channels as string[] }),
    ...(permissions !== undefined && { permissions }),
  };
}

/** Does a subscribe token open `channel` for `userId`? Throws TypeError saying why not. */
export function assertSubscriptionGrant(payload: JWTPayload, channel: string, userId: string): void {
  if (payload.channel !== channel) throw new TypeError('the subscribe token is for another channel');
  if (requireSub(payload) !== userId) throw new TypeError('the subscribe token is for another user');
}

function requireSub(payload: JWTPayload): string {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new TypeError('sub must be a non-empty string');
  return payload.sub;
}
