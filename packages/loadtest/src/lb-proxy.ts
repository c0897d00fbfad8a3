// The storm's built-in load balancer: a TCP proxy that spreads new connections round-robin over
// the nodes whose /health answers 200 (a draining node answers 503 and gets none), and that can
// cut every connection at once, as a network partition or an LB restart does.
import { createServer, connect, type Socket } from 'node:net';
import { relaySockets } from '@switchboard/websocket';

export interface LbNode {
  host: string;
  port: number;
}

export interface LbProxy {
  port: number;
  readonly connections: number;
  /** Resets every open connection (no close frame reaches either side): returns how many. */
  cutAll(): number;
  close(): Promise<void>;
}

export async function startLbProxy(nodes: LbNode[], healthEveryMs = 250): Promise<LbProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let healthy = nodes.map(() => true);
  let next = 0;
  const check = async () => {
    healthy = await Promise.all(
      nodes.map(async (n) => {
        try {
          return (
            (await fetch(`http://${n.host}:${n.port}/health`, { signal: AbortSignal.timeout(1000) })).status === 200
          );
        } catch {
          return false;
        }
      }),
    );
  };
  const timer = setInterval(() => void check(), healthEveryMs);
  const server = createServer((inbound) => {
    const candidates = nodes.filter((_, i) => healthy[i]);
    const node = (candidates.length ? candidates : nodes)[next++ % (candidates.length || nodes.length)];
    const outbound = connect(node.port, node.host);
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    relaySockets(inbound, outbound, () => pairs.delete(pair));
  });
  server.maxConnections = 1_000_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cutAll = () => {
    const n = pairs.size;
    for (const pair of pairs) for (const s of pair) s.resetAndDestroy();
    pairs.clear();
    return n;
  };
  return {
    cutAll,
    port: (server.address() as { port: number }).port,
    get connections() {
      return pairs.size;
    },
    close() {
      clearInterval(timer);
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
