// Three Switchboard nodes, each its own process, on the Redis engine (127.0.0.1:6379) or, with
// ENGINE=nats, on a nats-server of their own: subscribers are spread over them and the publisher talks
// to the first. Prints "PIDS a,b,c" (whose CPU the bench adds up), "BROKER_PID p" (reported apart;
// "BROKER_PID p owned" when this launcher started it, so the bench ends it), then "READY portA,portB,portC".
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startNats } from '@switchboard/testing/internal';
import { Redis } from 'ioredis';

const NODES = 3;
const node = fileURLToPath(new URL('./switchboard-server.ts', import.meta.url));
const nats = process.env.ENGINE === 'nats' ? await startNats() : undefined;
const env = nats
  ? { ...process.env, ENGINE: 'nats', NATS_URL: nats.url, NATS_PREFIX: `bench${process.pid}` }
  : { ...process.env, ENGINE: 'redis', REDIS_PREFIX: `bench:${process.pid}:` };
const children = Array.from({ length: NODES }, () =>
  spawn(process.execPath, [...process.execArgv, node], { env, stdio: ['ignore', 'pipe', 'inherit'] }),
);
const ports = await Promise.all(
  children.map(
    (child) =>
      new Promise<number>((resolve) =>
        createInterface({ input: child.stdout! }).on(
          'line',
          (l) => l.startsWith('READY ') && resolve(Number(l.slice(6))),
        ),
      ),
  ),
);
let brokerPid = `${nats?.pid} owned`;
if (!nats) {
  const redis = new Redis('redis://127.0.0.1:6379');
  brokerPid = /process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? '';
  redis.disconnect();
}
console.log(`PIDS ${children.map((c) => c.pid).join(',')}`);
console.log(`BROKER_PID ${brokerPid}`);
console.log(`READY ${ports.join(',')}`);

const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  void (nats ? nats.stop() : Promise.resolve()).then(() => process.exit(0));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
