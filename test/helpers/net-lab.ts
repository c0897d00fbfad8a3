import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** netem's arguments for the client link, and the same figures for the user-space relay. */
export const IMPAIRMENT = { delayMs: 150, jitterMs: 20, lossPct: 3, reorderPct: 25 } as const;

const RELAY = fileURLToPath(new URL('./tun-impairment.py', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Why the lab cannot run here, or undefined when it can (root and `ip`). */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root, as CI does)';
  if (spawnSync('ip', ['-V']).error) return '`ip` is missing (apt-get install iproute2)';
  // Root in a container may still lack CAP_SYS_ADMIN: make (and delete) one namespace to know.
  const probe = `sb-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0)
    return `cannot make a network namespace: ${made.stderr.trim() || `ip exited with ${made.status}`}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/**
 * A private network of namespaces, on this machine only, made and deleted by the test:
 *
 *   n1 n2 n3 ─lan0─ brc (10.231.1.0/24) ──┬── p (the backend: 10.231.1.50), v (a victim client: .51)
 *      └────back0─ brb (10.231.2.0/24) ── r (Redis: 10.231.2.2)
 *   brc ── sw routes ── client link (10.231.3.0/24) ── c (the clients: 10.231.3.2)
 *
 * Both bridges live in the `sw` namespace, whose ends of the links the test
 * sets down to cut one without FIN or RST. The client link carries the
 * impairment: netem on a veth pair when the kernel has sch_netem, else a TUN
 * pair through `tun-impairment.py`, which does the same in user space.
 */
export class NetLab {
  readonly ns: Record<'sw' | 'r' | 'n1' | 'n2' | 'n3' | 'c' | 'p' | 'v', string>;
  impairment: 'netem' | 'user-space relay' = 'netem';
  private relay: ChildProcess | undefined;
  private relayLines: AsyncIterator<string> | undefined;
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => this.removeSync();
  private clientDev = { c: 'cli0', sw: 'cl' };

  constructor(readonly id = `sb${(process.pid % 0xffff).toString(16)}`) {
    const names = ['sw', 'r', 'n1', 'n2', 'n3', 'c', 'p', 'v'] as const;
    this.ns = Object.fromEntries(names.map((n) => [n, `${id}-${n}`])) as NetLab['ns'];
  }

  static readonly addr = {
    redis: '10.231.2.2',
    node: (i: number) => `10.231.1.${11 + i}`,
    backend: '10.231.1.50',
    victim: '10.231.1.51',
    client: '10.231.3.2',
  };

  async up(): Promise<void> {
    process.once('exit', this.onExit);
    this.removeSync();
    const { sw, r, c, p, v } = this.ns;
    for (const ns of Object.values(this.ns)) ip('netns', 'add', ns), ip('-n', ns, 'link', 'set', 'lo', 'up');
    for (const br of ['brc', 'brb'])
      ip('-n', sw, 'link', 'add', br, 'type', 'bridge'), ip('-n', sw, 'link', 'set', br, 'up');
    ip('-n', sw, 'addr', 'add', '10.231.1.1/24', 'dev', 'brc');
    nsExec(sw, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    const wire = (ns: string, dev: string, peer: string, bridge: string, cidr: string) => {
      ip('link', 'add', 'name', dev, 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', sw);
      ip('-n', sw, 'link', 'set', 'dev', peer, 'master', bridge, 'up');
      ip('-n', ns, 'addr', 'add', cidr, 'dev', dev);
      ip('-n', ns, 'link', 'set', 'dev', dev, 'up');
    };
    for (const i of [0, 1, 2]) {
      const n = this.ns[`n${i + 1}` as 'n1'];
      wire(n, 'lan0', `c${i + 1}`, 'brc', `${NetLab.addr.node(i)}/24`);
      wire(n, 'back0', `b${i + 1}`, 'brb', `10.231.2.${11 + i}/24`);
      ip('-n', n, 'route', 'add', '10.231.3.0/24', 'via', '10.231.1.1');
    }
    wire(r, 'back0', 'br', 'brb', `${NetLab.addr.redis}/24`);
    wire(p, 'lan0', 'cp', 'brc', `${NetLab.addr.backend}/24`);
    wire(v, 'lan0', 'cv', 'brc', `${NetLab.addr.victim}/24`);
    await this.clientLink(c, sw);
    ip('-n', c, 'addr', 'add', `${NetLab.addr.client}/24`, 'dev', this.clientDev.c);
    ip('-n', sw, 'addr', 'add', '10.231.3.1/24', 'dev', this.clientDev.sw);
    ip('-n', c, 'link', 'set', 'dev', this.clientDev.c, 'up');
    ip('-n', sw, 'link', 'set', 'dev', this.clientDev.sw, 'up');
    ip('-n', c, 'route', 'add', '10.231.1.0/24', 'via', '10.231.3.1');
  }

  /** A veth pair if netem works on it, else a TUN pair through the user-space relay. */
  private async clientLink(c: string, sw: string): Promise<void> {
    ip('link', 'add', 'name', 'cli0', 'netns', c, 'type', 'veth', 'peer', 'name', 'cl', 'netns', sw);
    if (
      spawnSync('ip', ['netns', 'exec', sw, 'tc', 'qdisc', 'add', 'dev', 'cl', 'root', 'netem', 'delay', '0ms'])
        .status === 0
    ) {
      nsExec(sw, 'tc', 'qdisc', 'del', 'dev', 'cl', 'root');
      return;
    }
    ip('-n', c, 'link', 'del', 'dev', 'cli0');
    this.impairment = 'user-space relay';
    const [tc, ts] = [`${this.id}tc`, `${this.id}ts`];
    this.relay = spawn('python3', [RELAY, tc, ts], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.relayLines = createInterface({ input: this.relay.stdout! })[Symbol.asyncIterator]();
    if ((await this.relayLines.next()).value !== 'ready') throw new Error('tun-impairment.py did not start');
    ip('link', 'set', 'dev', tc, 'netns', c);
    ip('link', 'set', 'dev', ts, 'netns', sw);
    this.clientDev = { c: tc, sw: ts };
  }

  /** Turns the client link's impairment on (both directions) or off. */
  async impair(on: boolean): Promise<void> {
    const { delayMs, jitterMs, lossPct, reorderPct } = IMPAIRMENT;
    if (this.relay) {
      this.relay.stdin!.write(on ? `impair ${delayMs} ${jitterMs} ${lossPct} ${reorderPct}\n` : 'clear\n');
      await this.relayLines!.next();
      return;
    }
    for (const [ns, dev] of [
      [this.ns.c, this.clientDev.c],
      [this.ns.sw, this.clientDev.sw],
    ]) {
      if (on)
        nsExec(
          ns,
          'tc',
          'qdisc',
          'add',
          'dev',
          dev,
          'root',
          'netem',
          'delay',
          `${delayMs}ms`,
          `${jitterMs}ms`,
          'loss',
          `${lossPct}%`,
          'reorder',
          `${reorderPct}%`,
          '50%',
        );
      else nsExec(ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root');
    }
  }

  /**
   * Sets the switch's end of a link down (no FIN, no RST: packets just vanish) or up again: c1…c3, b1…b3, br, cp, cv.
   */
  link(peer: string, up: boolean): void {
    ip('-n', this.ns.sw, 'link', 'set', 'dev', peer, up ? 'up' : 'down');
  }

  /** Spawns `command` inside namespace `ns`, tracked so that `down()` ends it. */
  spawnIn(ns: keyof NetLab['ns'], command: string[], stdio: 'pipe' | 'inherit' = 'pipe'): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns[ns], ...command], {
      cwd: ROOT,
      stdio: [stdio === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'inherit'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** `net-peer.ts ROLE ARGS` in a namespace, its stdout as JSON events. */
  peer(ns: keyof NetLab['ns'], role: string, ...args: string[]): Peer {
    return new Peer(
      this.spawnIn(ns, [
        'node',
        '--conditions=@switchboard/source',
        '--import',
        'tsx',
        'test/helpers/net-peer.ts',
        role,
        ...args,
      ]),
    );
  }

  /** Ends every process it started (by PID) and deletes the namespaces with all their links. */
  async down(): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit');
        }
      }),
    );
    this.relay?.stdin?.end();
    this.relay?.kill('SIGKILL');
    this.removeSync();
    process.off('exit', this.onExit);
  }

  private removeSync(): void {
    for (const ns of Object.values(this.ns)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    for (const dev of [`${this.id}tc`, `${this.id}ts`]) spawnSync('ip', ['link', 'del', dev], { stdio: 'ignore' });
  }
}

/** A net-peer.ts child: its JSON events in order. */
export class Peer {
  private readonly events: object[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line));
      } catch {
        return;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    child.once('exit', () => this.waiters.splice(0).forEach((w) => w()));
  }

  /** The first event with `key`, waiting up to `timeoutMs`. */
  async next<T = any>(key: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => key in e) as Record<string, T> | undefined;
      if (found) return found[key];
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`net-peer: no "${key}" within ${timeoutMs} ms (exit ${this.child.exitCode})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      });
    }
  }

  send(command: object): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }
}

function ip(...args: string[]): void {
  run('ip', args);
}

function nsExec(ns: string, ...command: string[]): void {
  run('ip', ['netns', 'exec', ns, ...command]);
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}
