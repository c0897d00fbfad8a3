import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';

/**
 * `count` distinct loopback TCP ports that were free a moment ago, for services a test starts. They are
 * held open together before being released: one at a time, the kernel can hand the same port out twice
 * (a NATS cluster once got one port for a server's clients and another's monitoring).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export const freePort = async (): Promise<number> => (await freePorts(1))[0];

/** A service process ended before it answered: most often, something took its port after `freePorts` released it. */
export class ServiceExitedError extends Error {
  readonly code = 'SB_TEST_SERVICE_EXITED';
}

/** Runs `start` (which picks new ports each time) again when its service exited during start-up. */
export async function retryStart<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof ServiceExitedError)) throw error;
    }
  }
}

/** How long one probe waits for the service's first bytes: something else on the port may accept and stay silent. */
const PROBE_MS = 1000;

/**
 * How to tell a service answers: what to send once connected (if anything), and what its first bytes must start with.
 */
export interface Probe {
  name: string;
  send?: string;
  expect: string;
}

/** Waits until the service on `port` answers the probe; throws after `timeoutMs`. */
async function waitForService(port: number, probe: Probe, timeoutMs: number): Promise<void> {
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => probe.send && socket.write(probe.send));
      socket.setTimeout(PROBE_MS, () => (socket.destroy(), resolve(false)));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString().startsWith(probe.expect))));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - start > timeoutMs)
      throw new Error(`${probe.name} on port ${port} did not answer within ${timeoutMs} ms`);
  }
}

/**
 * One throwaway server process on a loopback port: started and awaited until
 * it answers its probe, SIGKILLed (thawed first, so a frozen one dies too),
 * frozen and thawed with SIGSTOP / SIGCONT. Stopped by PID.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly port: number,
    private readonly probe: Probe,
    private readonly timeoutMs: number,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until it answers; fails at once if it exits first (its port taken, say). */
  async launch(): Promise<void> {
    const child = spawn(this.command, this.args, { stdio: 'ignore' });
    this.child = child;
    const ac = new AbortController();
    const exited = once(child, 'exit', { signal: ac.signal }).then(([code, signal]) => {
      throw new ServiceExitedError(
        `${this.probe.name} on port ${this.port} exited during start-up (${signal ?? `code ${code}`})`,
      );
    });
    try {
      await Promise.race([waitForService(this.port, this.probe, this.timeoutMs), exited]);
    } finally {
      ac.abort();
      exited.catch(() => {}); // aborted, or already thrown above
    }
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await exited;
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }
}
