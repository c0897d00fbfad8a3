import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, retryStart, ServiceProcess } from './loopback-service.js';

/**
 * A throwaway `nats-server` with JetStream on free loopback ports, with its own
 * config and store directory, that a test can freeze, kill and restart (keeping
 * or wiping its storage). Stopped by PID; `stop()` also deletes the directory.
 */
export interface NatsProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The HTTP monitoring port (`/varz`, `/jsz`). */
  readonly monitorPort: number;
  readonly pid: number | undefined;
  /** SIGKILL: connections drop; file storage survives on disk. */
  kill(): Promise<void>;
  /**
   * Kill, then start again on the same ports; `wipe` deletes the JetStream store first (a server that lost its disk).
   */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing answers (a partition). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** Three `nats-server`s clustered over loopback routes, JetStream on each; streams made with 3 replicas span all. */
export interface NatsCluster {
  readonly servers: NatsProcess[];
  readonly urls: string[];
  stop(): Promise<void>;
}

interface Ports {
  port: number;
  monitorPort: number;
  clusterPort?: number;
}

function launcher(name: string, ports: Ports, routes: number[], jetstream = true) {
  const dir = mkdtempSync(join(tmpdir(), `sb-nats-${name}-`));
  const store = join(dir, 'jetstream');
  const config = [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${ports.port}`,
    `http: 127.0.0.1:${ports.monitorPort}`,
    ...(jetstream
      ? [`jetstream { store_dir: "${store}", max_memory_store: 268435456, max_file_store: 1073741824 }`]
      : []),
    ...(ports.clusterPort === undefined
      ? []
      : [
          `cluster { name: sb-test, listen: 127.0.0.1:${ports.clusterPort}, routes: ` +
            `[${routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}] }`,
        ]),
  ].join('\n');
  writeFileSync(join(dir, 'nats.conf'), config);
  const server = new ServiceProcess(
    'nats-server',
    ['-c', join(dir, 'nats.conf')],
    ports.port,
    { name: 'nats-server', expect: 'INFO' },
    10_000,
  );
  const launch = () => server.launch();
  const kill = () => server.kill();
  const handle: NatsProcess = {
    name,
    port: ports.port,
    url: `nats://127.0.0.1:${ports.port}`,
    monitorPort: ports.monitorPort,
    get pid() {
      return server.pid;
    },
    kill,
    restart: async (options = {}) => {
      await kill();
      if (options.wipe) rmSync(store, { recursive: true, force: true });
      await launch();
    },
    freeze: () => server.freeze(),
    thaw: () => server.thaw(),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return { handle, launch };
}

/** One server; `jetstream: false` makes one without JetStream (for start-up errors). */
export function startNats(options: { jetstream?: boolean } = {}): Promise<NatsProcess> {
  return retryStart(async () => {
    const [port, monitorPort] = await freePorts(2);
    const { handle, launch } = launcher(`sb-nats-${port}`, { port, monitorPort }, [], options.jetstream ?? true);
    await launch().catch(async (error: unknown) => {
      await handle.stop();
      throw error;
    });
    return handle;
  });
}

/** Starts 3 clustered servers and waits until JetStream has a meta leader, so streams can be created. */
export function startNatsCluster(size = 3): Promise<NatsCluster> {
  return retryStart(() => startClusterOnce(size));
}

async function startClusterOnce(size: number): Promise<NatsCluster> {
  const free = await freePorts(3 * size);
  const all: Ports[] = Array.from({ length: size }, (_, i) => ({
    port: free[3 * i],
    monitorPort: free[3 * i + 1],
    clusterPort: free[3 * i + 2],
  }));
  const routes = all.map((p) => p.clusterPort!);
  const made = all.map((ports, i) =>
    launcher(
      `sb-nats-${all[0].port}-${i}`,
      ports,
      routes.filter((r) => r !== ports.clusterPort),
    ),
  );
  const servers = made.map((m) => m.handle);
  try {
    await Promise.all(made.map((m) => m.launch()));
    await metaLeader(servers, 30_000);
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => void (await Promise.all(servers.map((s) => s.stop()))),
  };
}

/** Polls `/jsz` until a server reports a JetStream meta leader with every peer current. */
export async function metaLeader(servers: NatsProcess[], timeoutMs: number): Promise<string> {
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
    for (const server of servers) {
      try {
        const jsz = (await (
          await fetch(`http://127.0.0.1:${server.monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) })
        ).json()) as { meta_cluster?: { leader?: string; replicas?: { current: boolean }[] } };
        const meta = jsz.meta_cluster;
        if (
          meta?.leader &&
          (meta.replicas ?? []).length === servers.length - 1 &&
          meta.replicas!.every((r) => r.current)
        )
          return meta.leader;
      } catch {
        // not up yet, or frozen
      }
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no JetStream meta leader within ${timeoutMs} ms`);
  }
}
