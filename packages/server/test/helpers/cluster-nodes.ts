// Nodes of one in-process memory cluster, wired as the server wires them, for socket-free unit tests.
import assert from 'node:assert/strict';
import type { Engine, Publication } from '@switchboard/engine';
import { memoryEngine, type MemoryCluster } from '@switchboard/engine-memory';
import { JsonCodec, type Push } from '@switchboard/wire';
import { Hub, type ChannelSubscriber, type SharedPush } from '../../src/channels/hub.js';
import { resolveNamespaceOptions, type NamespaceOptions } from '../../src/channels/namespace-options.js';
import type { ResolvedChannel } from '../../src/channels/namespaces.js';
import { ClusterControl } from '../../src/cluster/cluster-control.js';
import { PresenceTracker } from '../../src/presence/presence-tracker.js';
import { SessionRegistry, type SessionHandle } from '../../src/sessions/session-registry.js';

const codec = new JsonCodec();

/** A session as the node acts on it, recording what it is told and what its channels push. */
export class RecordingSession implements SessionHandle, ChannelSubscriber {
  readonly pushes: Push[] = [];
  readonly closes: [number, string][] = [];
  readonly unsubscribed: [string, number][] = [];
  readonly isConnected = true;
  readonly transportName = 'memory';
  readonly bufferedBytes = 0;
  readonly subscriptionCount = 0;
  readonly awaitingPong = false;
  constructor(
    readonly clientId: string,
    readonly userId: string,
  ) {}
  ping(): void {}
  heartbeatLost(): void {}
  push(push: Push): void {
    this.pushes.push(push);
  }
  disconnect(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
  serverUnsubscribe(channel: string, code: number): void {
    this.unsubscribed.push([channel, code]);
  }
  onPublication(_channel: string, _publication: Publication, _encoded: SharedPush): void {}
  onChannelPush(_channel: string, encoded: SharedPush): void {
    this.pushes.push(JSON.parse(new TextDecoder().decode(encoded.for(codec).bytes)) as Push);
  }
  onStreamGap(): void {}
}

export interface TestNode {
  id: string;
  hub: Hub;
  sessions: SessionRegistry;
  cluster: ClusterControl;
  presence: PresenceTracker;
  engine: Engine;
  /** Messages the node logged at warn. */
  warnings: string[];
  /** Drain plans the node was asked to run over the bus. */
  drains: object[];
  close(): Promise<void>;
}

/** A node on the shared memory cluster, started as the server starts one. */
export async function startNode(shared: MemoryCluster, id: string, presenceTtlMs = 150): Promise<TestNode> {
  const warnings: string[] = [];
  const log = { info() {}, error() {}, warn: (_: object, message: string) => void warnings.push(message) };
  const hub = new Hub(() => {});
  const sessions = new SessionRegistry();
  const self = () => ({
    nodeId: id,
    name: id,
    connections: sessions.size,
    users: sessions.userCount(),
    channels: hub.channelCount,
    uptimeMs: 1,
  });
  const drains: object[] = [];
  const cluster = new ClusterControl(hub, sessions, self, log, {
    stats: async () => ({ node: id, sessions: sessions.size }),
    drain: async (plan) => (drains.push(plan), 0),
  });
  const engine = await memoryEngine({ cluster: shared })({ nodeId: id, broker: hub, control: cluster });
  hub.bind(engine.broker);
  cluster.bind(engine.control);
  const presence = new PresenceTracker(engine.presence, cluster, presenceTtlMs, log);
  presence.start();
  cluster.start();
  return {
    id,
    hub,
    sessions,
    cluster,
    presence,
    engine,
    warnings,
    drains,
    async close() {
      cluster.stop();
      await presence.stop();
      await engine.close();
    },
  };
}

/** A channel of a namespace with these options. */
export function channelOf(name: string, options: NamespaceOptions): ResolvedChannel {
  const namespace = name.slice(0, name.indexOf(':'));
  return {
    channel: name,
    namespace,
    name: name.slice(namespace.length + 1),
    options: resolveNamespaceOptions(namespace, options),
  };
}

/** Waits (up to 1 s) for `check` to hold. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
}
