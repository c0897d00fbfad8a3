import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Engine } from '@switchboard/engine';
import type { Command } from '@switchboard/wire';
import type { ConnectionRequest } from './auth/identity.js';
import type { Hub } from './channels/hub.js';
import type { ClusterControl } from './cluster/cluster-control.js';
import type { PresenceTracker } from './presence/presence-tracker.js';
import type { SessionServices } from './sessions/session-services.js';
import type { ClientProtocol, ProtocolHost, Transport } from './transports/transport.js';

export type { ClientProtocol, ProtocolHost };

/** The running node, as a protocol's endpoints see it once it is built (`ProtocolEndpoints.start`). */
export interface ProtocolNode {
  readonly engine: Engine;
  readonly cluster: ClusterControl;
  /** Pushes to this node's subscribers of a channel. */
  readonly hub: Pick<Hub, 'pushToChannel' | 'subscriberCount'>;
  /** Told after each presence entry is written (`watchCounts`). */
  readonly presence: Pick<PresenceTracker, 'watchCounts'>;
  /**
   * The node's session services: a protocol may open its sessions with its own (its namespaces, authentication, hooks).
   */
  readonly session: SessionServices;
  /** `ProtocolHost.open`, with the session's services. */
  open(transport: Transport, request: ConnectionRequest, opening: readonly Command[], services: SessionServices): void;
}

/**
 * One client protocol's endpoints on the node's port (its WebSocket paths, its
 * HTTP routes), registered once with the server (`SwitchboardServer`'s protocol
 * list). The server routes every upgrade, extended CONNECT and request to the
 * first protocol that takes it; sessions it opens go through `ProtocolHost.open`.
 * A second protocol is one folder under `protocols/` implementing this, and one
 * line in that list.
 */
export interface ProtocolEndpoints {
  /** The protocol family, for logs. */
  readonly name: string;
  /** Takes an HTTP/1.1 upgrade for a path it serves; false: not its path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean;
  /** Takes an RFC 8441 extended CONNECT over HTTP/2 for a path it serves; false: not its path. */
  extendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string): boolean;
  /** Serves an HTTP request it owns; false: not its path. Called once the node runs. */
  request(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** The node is built (engine started, cluster joined): called once, before the node takes connections. */
  start?(node: ProtocolNode): void;
  /** Closes its listeners' pending handshakes; sessions are closed by the server. */
  close(): Promise<void>;
}
