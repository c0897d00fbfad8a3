import { DisconnectCode, ReplyErrorCode, type ConnectParams } from '@switchboard/wire';
import { CommandError, DisconnectError, commandErrors } from '../errors.js';
import type { ConnectingResult } from '../hooks.js';
import type { Session } from '../sessions/session.js';
import { handshakeCredential } from './handshake-credential.js';
import { parsePermissions } from './permissions.js';
import { redactUrl } from './redact-url.js';

/**
 * Who a `connect` is. The application's `onConnecting` decides when it is set;
 * otherwise a JWT, when the `jwt` option is set and a token came (in `connect`,
 * else the handshake's cookie or query); otherwise an anonymous client, when
 * allowed; otherwise 3502.
 */
export async function authenticate(session: Session, params: ConnectParams): Promise<ConnectingResult> {
  const { core, request } = session;
  const { hooks, allowAnonymous, jwt } = core.options;
  const token = params.token ?? (jwt && request ? handshakeCredential(request, jwt) : undefined);
  if (hooks.onConnecting) {
    const identity = await hooks.onConnecting({
      clientId: session.clientId,
      token,
      data: params.data,
      name: params.name,
      version: params.version,
      transport: session.transportName,
      remoteAddress: session.transport.remoteAddress,
      headers: request?.headers ?? {},
    });
    if (typeof identity?.userId !== 'string') throw new TypeError('onConnecting must return { userId: string }');
    return { ...identity, permissions: parsePermissions(identity.permissions) };
  }
  if (core.auth && token !== undefined) {
    try {
      return await core.auth.identify(token);
    } catch (error) {
      if (error instanceof DisconnectError) {
        // The reason only: jose's errors may carry the claims.
        const reason = error.cause instanceof Error ? error.cause.message : undefined;
        core.log.info({ clientId: session.clientId, remoteAddress: request?.remoteAddress, url: redactUrl(request?.url), reason }, 'connection refused: invalid token');
      }
      throw error;
    }
  }
  if (allowAnonymous) return { userId: '', connInfo: params.data };
  throw new DisconnectError(DisconnectCode.Unauthorized, 'authentication required');
}

/**
 * Checks a `refresh` token: the application's `onRefresh` when set, else the
 * JWT verifier. A JWT must name the connection's user, and its `allow` claim
 * replaces the connection's permissions.
 */
export async function refreshCredentials(session: Session, token: string): Promise<{ expiresAt?: number }> {
  const { hooks } = session.core.options;
  if (hooks.onRefresh) return hooks.onRefresh(session, token);
  if (!session.core.auth) throw new CommandError(ReplyErrorCode.NotAvailable, 'token refresh is not configured on this server');
  const identity = await session.core.auth.identify(token);
  if (identity.userId !== session.userId) throw commandErrors.permissionDenied('the token is for another user');
  session.permissions = identity.permissions;
  return { expiresAt: identity.expiresAt };
}
