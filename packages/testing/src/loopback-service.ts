import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** A loopback TCP port that was free a moment ago, for a service a test starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How to tell a service answers: what to send once connected (if anything), and what its first bytes must start with. */
export interface Probe {
  name: string;
  send?: string;
  expect: string;
}

/** Waits until the service on `port` answers the probe; throws after `timeoutMs`. */
export async function waitForService(port: number, probe: Probe, timeoutMs: number): Promise<void> {
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => probe.send && socket.write(probe.send));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString().startsWith(probe.expect))));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - start > timeoutMs) throw new Error(`${probe.name} on port ${port} did not answer within ${timeoutMs} ms`);
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

  async launch(): Promise<void> {
    this.child = spawn(this.command, this.args, { stdio: 'ignore' });
    await waitForService(this.port, this.probe, this.timeoutMs);
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
