import type { Engine } from '@switchboard/engine';
import type { JwtAuth } from './auth/jwt-auth.js';
import type { Hub } from './channels/hub.js';
import type { Namespaces } from './channels/namespaces.js';
import type { ClusterControl } from './cluster/cluster-control.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { PresenceTracker } from './presence/presence-tracker.js';
import type { ResolvedServerOptions } from './server-options.js';
import type { DrainPlan } from './sessions/drain.js';
import type { SessionRegistry } from './sessions/session-registry.js';

/** What sessions, the HTTP API and the cluster share: one node's services. */
export interface ServerCore {
  readonly nodeId: string;
  readonly options: ResolvedServerOptions;
  readonly namespaces: Namespaces;
  readonly hub: Hub;
  readonly engine: Engine;
  readonly presence: PresenceTracker;
  readonly sessions: SessionRegistry;
  readonly cluster: ClusterControl;
  readonly log: Logger;
  /** The JWT verifier, when the `jwt` option is set. */
  readonly auth: JwtAuth | undefined;
  readonly metrics: ServerMetrics;
  /** Starts this node's staggered drain (see SwitchboardServer.drain). */
  drain(plan: Partial<DrainPlan>): Promise<number>;
}
