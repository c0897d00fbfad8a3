import { freePort, retryStart, ServiceProcess } from './loopback-service.js';

/**
 * A throwaway `redis-server` on a free loopback port, keeping nothing on disk, that a test can freeze, kill and
 * restart.
 */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGKILL: everything it held is gone. */
  kill(): Promise<void>;
  /** A new, empty server on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing answers (a partition). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess> {
  const { port, server } = await retryStart(async () => {
    const port = await freePort();
    const server = new ServiceProcess(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      port,
      { name: 'redis-server', send: 'PING\r\n', expect: '+PONG' },
      5000,
    );
    await server.launch();
    return { port, server };
  });
  const kill = () => server.kill();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return server.pid;
    },
    kill,
    restart: async () => {
      await kill();
      await server.launch();
    },
    freeze: () => server.freeze(),
    thaw: () => server.thaw(),
    stop: kill,
  };
}
