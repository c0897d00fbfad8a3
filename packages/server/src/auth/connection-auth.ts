import { redactUrl } from '@switchboard/websocket';
import { DisconnectCode, ReplyErrorCode, type ConnectParams } from '@switchboard/wire';
import { CommandError, DisconnectError, commandErrors } from '../errors.js';
import type { ConnectingResult, ServerHooks, SessionContext } from '../hooks.js';
import type { Logger } from '../logger.js';
import { handshakeCredential } from './handshake-credential.js';
import type { ConnectionRequest, Identity } from './identity.js';
import type { JwtAuth } from './jwt-auth.js';
import type { ResolvedJwtOptions } from './jwt-options.js';
import { parsePermissions } from './permissions.js';

export interface ConnectionAuthOptions {
  hooks: Pick<ServerHooks, 'onConnecting' | 'onRefresh'>;
  allowAnonymous: boolean;
  jwt: ResolvedJwtOptions | undefined;
}

/** A `connect` to authenticate: the command and what the connection's transport knows. */
export interface ConnectAttempt {
  clientId: string;
  transport: string;
  remoteAddress: string | undefined;
  /** Undefined for transports that keep no request (and after `connect`). */
  request: ConnectionRequest | undefined;
  params: ConnectParams;
}

/** An accepted `connect`: the identity, and the server-side channels to subscribe it to. */
export interface Accepted {
  identity: Identity;
  channels: string[];
}

/**
 * Accepts credentials. The application's `onConnecting` decides when it is set;
 * otherwise a JWT, when the `jwt` option is set and a token came (in `connect`,
 * else the handshake's cookie or query); otherwise an anonymous client, when
 * allowed; otherwise 3502.
 */
export class ConnectionAuth {
  constructor(
    private readonly options: ConnectionAuthOptions,
    /** The JWT verifier, when the `jwt` option is set. */
    readonly verifier: JwtAuth | undefined,
    private readonly log: Logger,
  ) {}

  async authenticate(attempt: ConnectAttempt): Promise<Accepted> {
    const { hooks, allowAnonymous, jwt } = this.options;
    const { params, request } = attempt;
    const token = params.token ?? (jwt && request ? handshakeCredential(request, jwt) : undefined);
    if (hooks.onConnecting) {
      const result = await hooks.onConnecting({
        clientId: attempt.clientId,
        token,
        data: params.data,
        name: params.name,
        version: params.version,
        transport: attempt.transport,
        remoteAddress: attempt.remoteAddress,
        headers: request?.headers ?? {},
      });
      if (typeof result?.userId !== 'string') throw new TypeError('onConnecting must return { userId: string }');
      return accepted({ ...result, permissions: parsePermissions(result.permissions) });
    }
    if (this.verifier && token !== undefined) {
      try {
        return accepted(await this.verifier.identify(token));
      } catch (error) {
        if (error instanceof DisconnectError) {
          // The reason only: jose's errors may carry the claims.
          const reason = error.cause instanceof Error ? error.cause.message : undefined;
          this.log.info(
            { clientId: attempt.clientId, remoteAddress: request?.remoteAddress, url: redactUrl(request?.url), reason },
            'connection refused: invalid token',
          );
        }
        throw error;
      }
    }
    if (allowAnonymous) return accepted({ userId: '', connInfo: params.data });
    throw new DisconnectError(DisconnectCode.Unauthorized, 'authentication required');
  }

  /**
   * Checks a `refresh` token and returns the connection's new identity: the
   * application's `onRefresh` when set (it moves the expiry), else the JWT
   * verifier. A JWT must name the connection's user, and its `allow` claim
   * replaces the connection's permissions.
   */
  async refresh(context: SessionContext, current: Identity, token: string): Promise<Identity> {
    const { hooks } = this.options;
    if (hooks.onRefresh) {
      const { expiresAt } = await hooks.onRefresh(context, token);
      return Object.freeze({ ...current, expiresAt });
    }
    if (!this.verifier)
      throw new CommandError(ReplyErrorCode.NotAvailable, 'token refresh is not configured on this server');
    const result = await this.verifier.identify(token);
    if (result.userId !== current.userId) throw commandErrors.permissionDenied('the token is for another user');
    return Object.freeze({ ...current, permissions: result.permissions, expiresAt: result.expiresAt });
  }
}

function accepted(result: ConnectingResult): Accepted {
  const identity: Identity = Object.freeze({
    userId: result.userId,
    connInfo: result.connInfo,
    permissions: result.permissions,
    expiresAt: result.expiresAt,
  });
  return { identity, channels: [...(result.channels ?? [])] };
}
