import { createServer, connect, type Server, type Socket } from 'node:net';
import { relaySockets } from '@switchboard/websocket';

/** A TCP proxy on 127.0.0.1 that a test uses as the network: it can cut connections the way a real one does. */
export interface TcpProxy {
  port: number;
  /** Connections open through the proxy now. */
  readonly connections: number;
  /** Resets every open connection (both sides see an abrupt end, no close frame): returns how many. */
  cutAll(): number;
  /** Resets one open connection picked with `random`; false when there is none. */
  cutOne(random?: () => number): boolean;
  close(): Promise<void>;
}

/** Starts a proxy from a free port to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    relaySockets(inbound, outbound, () => pairs.delete(pair));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (pair: [Socket, Socket]) => {
    pairs.delete(pair);
    for (const s of pair) s.resetAndDestroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return pairs.size;
    },
    cutAll() {
      const n = pairs.size;
      [...pairs].forEach(cut);
      return n;
    },
    cutOne(random = Math.random) {
      const all = [...pairs];
      if (all.length === 0) return false;
      cut(all[Math.floor(random() * all.length)]);
      return true;
    },
    async close() {
      [...pairs].forEach(cut);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
