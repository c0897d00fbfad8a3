// Fleet sizing from measured unit costs: pure arithmetic, no I/O. A node is one machine running one
// serve process per core (Node is one thread); every ceiling is expressed as connections per node.

/** Unit costs, as `switchboard size --measure` writes them. */
export interface CostModel {
  /** Server RSS per idle connection (user space), bytes. */
  connectionBytes: number;
  /** Kernel socket memory per idle connection, bytes. */
  kernelBytes: number;
  subscriptionBytes: number;
  handshakeCpuUs: { plain: number; jwt?: number; tls?: number };
  /** Server CPU per delivery, by payload bytes. */
  deliveryCpuUs: Record<string, number>;
  publishCpuUs: number;
  measuredOn?: string;
}

export interface FleetTarget {
  connections: number;
  subscriptionsPerConnection: number;
  /** Publications per second cluster-wide. */
  publishRate: number;
  /** Subscribers per publication. */
  fanout: number;
  payloadBytes: number;
  auth: 'plain' | 'jwt' | 'tls';
  coresPerNode: number;
  memoryGbPerNode: number;
  /** Reconnect surge: this share of all connections (0–1) within `surgeSeconds`. */
  surgeShare: number;
  surgeSeconds: number;
  /** Descriptor limit per process. */
  fdLimit: number;
  /** Ephemeral ports per (LB source address, node process) pair, and LB source addresses. */
  ephemeralPorts: number;
  lbAddresses: number;
  nicGbps: number;
  /** Publications per second the broker takes (cluster-wide), e.g. one Redis shard. */
  brokerPublishRate: number;
  /** Share of CPU and memory planned for use; the rest is headroom. */
  utilisation: number;
  /** Nodes added beyond what the ceilings need, so that one can be drained or lost. */
  spareNodes: number;
}

export interface Ceiling {
  name: string;
  /** Connections per node this resource allows; Infinity when it does not bind per node. */
  perNode: number;
  detail: string;
}

export interface FleetPlan {
  /** Nodes, spares included. */
  nodes: number;
  connectionsPerNode: number;
  ceilings: Ceiling[];
  binding: string;
  /** Cluster-wide checks that more nodes do not fix. */
  clusterLimits: { name: string; ok: boolean; detail: string }[];
  osSettings: string[];
}

/**
 * CPU per delivery at `payload` bytes: the nearest measured size at or above, else the largest, scaled linearly in
 * bytes beyond it.
 */
export function deliveryCost(costs: CostModel, payload: number): number {
  const sizes = Object.keys(costs.deliveryCpuUs)
    .map(Number)
    .sort((a, b) => a - b);
  if (sizes.length === 0) throw new Error('the cost model has no delivery costs');
  const at = sizes.find((s) => s >= payload);
  if (at !== undefined) return costs.deliveryCpuUs[String(at)];
  const top = sizes.at(-1)!;
  return costs.deliveryCpuUs[String(top)] * (payload / top);
}

export function planFleet(costs: CostModel, t: FleetTarget): FleetPlan {
  const u = t.utilisation;
  const deliveriesPerConnS = (t.publishRate * t.fanout) / t.connections;
  const delUs = deliveryCost(costs, t.payloadBytes);
  const hsUs = costs.handshakeCpuUs[t.auth] ?? costs.handshakeCpuUs.plain;
  const bytesPerConn =
    costs.connectionBytes + costs.kernelBytes + t.subscriptionsPerConnection * costs.subscriptionBytes;
  const steadyUsPerConnS = deliveriesPerConnS * delUs;
  const surgeUsPerConnS = (t.surgeShare / t.surgeSeconds) * hsUs;
  const cpuBudgetUs = t.coresPerNode * 1e6;
  const wireBitsPerDelivery = (t.payloadBytes + 60) * 8; // frame + JSON envelope + TCP/IP headers, roughly
  const ceilings: Ceiling[] = [
    {
      name: 'memory',
      perNode: (t.memoryGbPerNode * 2 ** 30 * u) / bytesPerConn,
      detail:
        `${Math.round(bytesPerConn)} B per connection (user ${costs.connectionBytes} ` +
        `+ kernel ${costs.kernelBytes} + ${t.subscriptionsPerConnection} × ${costs.subscriptionBytes} ` +
        `per subscription), ${Math.round(u * 100)} % of ${t.memoryGbPerNode} GiB`,
    },
    {
      name: 'CPU steady',
      perNode: steadyUsPerConnS > 0 ? (cpuBudgetUs * u) / steadyUsPerConnS : Infinity,
      detail:
        `${deliveriesPerConnS.toFixed(3)} deliveries/s per connection × ${delUs.toFixed(2)} ` +
        `µs, ${Math.round(u * 100)} % of ${t.coresPerNode} cores`,
    },
    {
      name: 'CPU in a surge',
      perNode: cpuBudgetUs / (steadyUsPerConnS + surgeUsPerConnS),
      detail:
        `${Math.round(t.surgeShare * 100)} % reconnect within ${t.surgeSeconds} s: ${hsUs.toFixed(0)} ` +
        `µs per ${t.auth} handshake on top of steady, 100 % of ${t.coresPerNode} cores`,
    },
    {
      name: 'descriptors',
      perNode: t.fdLimit * t.coresPerNode - 1000 * t.coresPerNode,
      detail:
        `ulimit -n ${t.fdLimit} per process × ${t.coresPerNode} processes, 1,000 each kept for the engine, ` +
        `logs and the API`,
    },
    {
      name: 'ephemeral ports',
      perNode: t.ephemeralPorts * t.lbAddresses * t.coresPerNode,
      detail:
        `behind a proxy/LB: ${t.ephemeralPorts} ports × ${t.lbAddresses} LB source address(es) ` +
        `× ${t.coresPerNode} node ports`,
    },
    {
      name: 'NIC bandwidth',
      perNode: deliveriesPerConnS > 0 ? (t.nicGbps * 1e9 * u) / (deliveriesPerConnS * wireBitsPerDelivery) : Infinity,
      detail: `${t.payloadBytes} B + ~60 B framing per delivery, ${Math.round(u * 100)} % of ${t.nicGbps} Gbit/s`,
    },
  ];
  const binding = ceilings.reduce((a, b) => (b.perNode < a.perNode ? b : a));
  const perNode = Math.floor(binding.perNode);
  const nodes = Math.max(1, Math.ceil(t.connections / Math.max(1, perNode))) + t.spareNodes;
  const publishUsCluster = t.publishRate * costs.publishCpuUs;
  return {
    nodes,
    connectionsPerNode: Math.ceil(t.connections / nodes),
    ceilings,
    binding: binding.name,
    clusterLimits: [
      {
        name: 'broker publish capacity',
        ok: t.publishRate <= t.brokerPublishRate * u,
        detail:
          `${t.publishRate}/s against ${t.brokerPublishRate}/s (one Redis core: ~60,000/s with history, ` +
          `docs/scaling.md; shard channels over more instances past it)`,
      },
      {
        name: 'publish CPU (engine path)',
        ok: publishUsCluster <= nodes * cpuBudgetUs * 0.2,
        detail:
          `${Math.round(publishUsCluster / 1000)} ms CPU per second cluster-wide ` +
          `at ${costs.publishCpuUs.toFixed(1)} µs per publish`,
      },
    ],
    osSettings: [
      `ulimit -n ${Math.max(t.fdLimit, Math.ceil(perNode / t.coresPerNode) + 1000)}   (LimitNOFILE= in systemd; ` +
        `per serve process)`,
      `sysctl ` +
        `net.core.somaxconn=${Math.max(4096, Math.ceil(((t.connections / nodes) * t.surgeShare) / t.surgeSeconds))}  ` +
        ` (accept backlog for the surge)`,
      `sysctl net.ipv4.ip_local_port_range="1024 65535"   (on proxies/LBs and load generators)`,
      `sysctl net.ipv4.tcp_mem="${Math.ceil((perNode * Math.max(costs.kernelBytes, 1024) * 2) / 4096)}` +
        ` ${Math.ceil((perNode * Math.max(costs.kernelBytes, 1024) * 3) / 4096)}` +
        ` ${Math.ceil((perNode * Math.max(costs.kernelBytes, 1024) * 4) / 4096)}"   (pages; ` +
        `2–4× the idle kernel memory measured, at least 1 KiB per connection)`,
      `sysctl fs.file-max=${Math.ceil(perNode * 1.2)} ` +
        `fs.nr_open=${Math.max(1_048_576, Math.ceil(perNode / t.coresPerNode) + 1000)}`,
    ],
  };
}
