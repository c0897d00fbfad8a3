// The soak's clients: `slots` of them, each living one lifecycle after another
// with a behaviour drawn at random. SDK subscribers check every publication's
// offset; the rest misbehave on raw sockets. Reading all this tells whether
// every live subscriber got every publication or took the documented gap path.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type Subscription } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';

/** What happened, over the whole soak. */
export interface LoadStats {
  lifecycles: Record<Behaviour, number>;
  deliveries: number;
  /** Subscriptions that reported `gap` (the SDK's documented path when history cannot fill a hole). */
  gapPaths: number;
  /**
   * Offsets that skipped or went back with no `gap` reported, and live subscriptions behind the channel's top at the
   * end.
   */
  violations: number;
  violationSamples: string[];
  /** Live subscriptions compared with their channel's top position at the end. */
  tailChecked: number;
}

type Behaviour = 'subscriber' | 'stops-reading' | 'garbage' | 'abrupt';
const MIX: [Behaviour, number][] = [
  ['subscriber', 0.7],
  ['stops-reading', 0.1],
  ['garbage', 0.1],
  ['abrupt', 0.1],
];

interface Tracked {
  channel: string;
  sub: Subscription;
  last: { offset: number; epoch: string } | undefined;
}

const rand = (min: number, max: number) => min + Math.random() * (max - min);
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

export class SoakLoad {
  readonly stats: LoadStats = {
    lifecycles: { subscriber: 0, 'stops-reading': 0, garbage: 0, abrupt: 0 },
    deliveries: 0,
    gapPaths: 0,
    violations: 0,
    violationSamples: [],
    tailChecked: 0,
  };
  private running = true;
  private readonly live = new Set<{ end(): void }>();
  private readonly tracked = new Set<Tracked>();
  private readonly slotsDone: Promise<void>[] = [];

  constructor(
    private readonly wsUrl: string,
    private readonly channels: readonly string[],
  ) {}

  get connections(): number {
    return this.live.size;
  }

  /** Starts `slots` client slots, spread over `rampMs`. */
  start(slots: number, rampMs: number): void {
    for (let i = 0; i < slots; i++) this.slotsDone.push(sleep((rampMs * i) / slots).then(() => this.slot()));
  }

  /** Stops starting lifecycles and ends every live one; resolves when all slots are idle. */
  async stop(): Promise<void> {
    this.running = false;
    for (const c of this.live) c.end();
    await Promise.all(this.slotsDone);
  }

  /** Compares each live, subscribed subscription with its channel's top offset (publishing has stopped). */
  checkTails(tops: Map<string, { offset: number; epoch: string }>): void {
    for (const t of this.tracked) {
      const top = tops.get(t.channel);
      if (!top || t.sub.state !== 'subscribed' || !t.last) continue;
      this.stats.tailChecked++;
      if (t.last.epoch === top.epoch && t.last.offset !== top.offset)
        this.violation(`${t.channel}: live subscriber at ${t.last.offset}, top ${top.offset}`);
    }
  }

  private violation(what: string): void {
    this.stats.violations++;
    if (this.stats.violationSamples.length < 20) this.stats.violationSamples.push(what);
  }

  private async slot(): Promise<void> {
    while (this.running) {
      let r = Math.random();
      const behaviour = MIX.find(([, p]) => (r -= p) < 0)?.[0] ?? 'subscriber';
      this.stats.lifecycles[behaviour]++;
      await this[
        behaviour === 'subscriber' ? 'subscriber' : behaviour === 'stops-reading' ? 'stopsReading' : behaviour
      ]().catch(() => {});
      if (this.running) await sleep(rand(0, 2000));
    }
  }

  /** An SDK client on 1–3 channels, switching one now and then, for 10–90 s. */
  private async subscriber(): Promise<void> {
    const client = new Client(this.wsUrl, { WebSocket, backoff: { baseMs: 200, capMs: 2000 } });
    const mine = new Set<Tracked>();
    const follow = (channel: string) => {
      if (client.getSubscription(channel)) return;
      const t: Tracked = { channel, sub: client.subscribe(channel), last: undefined };
      t.sub.on('publication', (e) => {
        this.stats.deliveries++;
        if (t.last && e.epoch === t.last.epoch && e.offset !== t.last.offset + 1)
          this.violation(`${channel}: offset ${t.last.offset} then ${e.offset}`);
        t.last = { offset: e.offset, epoch: e.epoch };
      });
      t.sub.on('gap', () => {
        this.stats.gapPaths++;
        t.last = undefined;
      });
      mine.add(t);
      this.tracked.add(t);
    };
    const unfollow = (t: Tracked) => {
      t.sub.unsubscribe();
      mine.delete(t);
      this.tracked.delete(t);
    };
    client.connect();
    for (let i = Math.ceil(rand(0, 3)); i > 0; i--) follow(pick(this.channels));
    await this.lifetime(rand(10_000, 90_000), async (alive) => {
      while (alive()) {
        await sleep(rand(5000, 15_000));
        if (!alive()) break;
        const t = pick([...mine]);
        if (t) unfollow(t);
        follow(pick(this.channels));
      }
    });
    for (const t of [...mine]) this.tracked.delete(t);
    client.disconnect();
  }

  /** Subscribes on a raw socket, then never reads: the server's heartbeat or slow-consumer limit must end it. */
  private async stopsReading(): Promise<void> {
    const socket = await this.handshake();
    socket.write(textFrame(JSON.stringify({ id: 1, method: 'connect', params: {} })));
    for (const [i, channel] of this.channels.slice(0, 3).entries())
      socket.write(textFrame(JSON.stringify({ id: 2 + i, method: 'subscribe', params: { channel } })));
    socket.pause();
    await this.lifetime(
      60_000,
      () => new Promise((resolve) => socket.once('close', resolve)),
      () => socket.destroy(),
    );
  }

  /** Garbage: before the handshake, as frames, as JSON, or as commands. */
  private async garbage(): Promise<void> {
    const kind = pick(['bytes', 'frames', 'json', 'commands'] as const);
    const socket = kind === 'bytes' ? await this.tcp() : await this.handshake();
    socket.on('data', () => {});
    const junk = {
      bytes: () => randomBytes(Math.ceil(rand(1, 2000))),
      frames: () => randomBytes(Math.ceil(rand(2, 200))),
      json: () => textFrame(randomBytes(Math.ceil(rand(1, 100))).toString('latin1')),
      commands: () =>
        textFrame(
          JSON.stringify({
            id: Math.floor(rand(-5, 5)),
            method: pick(['nope', 'subscribe', '__proto__', 'publish']),
            params: { channel: pick(['', '__proto__', 'soak:x', 'x'.repeat(300)]) },
          }),
        ),
    }[kind];
    await this.lifetime(
      10_000,
      async (alive) => {
        while (alive() && !socket.destroyed) {
          socket.write(junk());
          await sleep(rand(50, 500));
        }
      },
      () => socket.destroy(),
    );
    socket.destroy();
  }

  /** Connects, subscribes, and vanishes with a reset after 1–5 s. */
  private async abrupt(): Promise<void> {
    const socket = await this.handshake();
    socket.on('data', () => {});
    socket.write(textFrame(JSON.stringify({ id: 1, method: 'connect', params: {} })));
    socket.write(textFrame(JSON.stringify({ id: 2, method: 'subscribe', params: { channel: pick(this.channels) } })));
    await this.lifetime(rand(1000, 5000), () => new Promise(() => {}));
    socket.resetAndDestroy();
  }

  /** Runs `body` until it returns, `ms` pass, or the soak stops; `end` interrupts whatever the body waits on. */
  private async lifetime(
    ms: number,
    body: (alive: () => boolean) => Promise<unknown>,
    end: () => void = () => {},
  ): Promise<void> {
    let ended = false;
    let wake!: () => void;
    const stopped = new Promise<void>((resolve) => (wake = resolve));
    const handle = { end: () => ((ended = true), end(), wake()) };
    this.live.add(handle);
    const timer = setTimeout(handle.end, ms);
    try {
      await Promise.race([body(() => !ended && this.running), stopped]);
    } finally {
      clearTimeout(timer);
      this.live.delete(handle);
    }
  }

  private tcp(): Promise<Socket> {
    const { hostname, port } = new URL(this.wsUrl);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    return new Promise((resolve, reject) =>
      socket.once('connect', () => resolve(socket)).once('close', () => reject(new Error('refused'))),
    );
  }

  private async handshake(): Promise<Socket> {
    const socket = await this.tcp();
    const { host, pathname } = new URL(this.wsUrl);
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Protocol: switchboard.v1.json\r\n\r\n`,
    );
    await new Promise<void>((resolve, reject) => {
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(head.split('\r\n')[0]));
      };
      socket.on('data', onData).once('close', () => reject(new Error('closed in the handshake')));
    });
    return socket;
  }
}

/** A masked client text frame (RFC 6455 §5.2), for the raw-socket behaviours. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'latin1');
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}
