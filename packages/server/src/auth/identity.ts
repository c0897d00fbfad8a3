import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelPermissions } from './permissions.js';

/**
 * Who a connection is: a frozen value, set when its credentials are accepted at
 * `connect` and replaced whole when a `refresh` accepts new ones. Nothing writes
 * its fields.
 */
export interface Identity {
  readonly userId: string;
  /** Shared with others in presence and join/leave. */
  readonly connInfo: unknown;
  /** Checked on every command (permissions.ts); undefined → the namespace rules alone. */
  readonly permissions: ChannelPermissions | undefined;
  /** When the credentials expire (Unix ms); undefined → never. */
  readonly expiresAt: number | undefined;
}

/** A connection that has not been accepted yet. */
export const NO_IDENTITY: Identity = Object.freeze({
  userId: '',
  connInfo: undefined,
  permissions: undefined,
  expiresAt: undefined,
});

/** The HTTP request that opened the connection, as much as the server keeps of it until `connect`. */
export interface ConnectionRequest {
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  /** The request target (path and query). It may hold a token: log it only through `redactUrl`. */
  url: string;
}
