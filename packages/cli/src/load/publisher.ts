import { Agent, request } from 'node:http';
import { now } from './clock.js';
import { channelName, type BenchData } from './bench-protocol.js';

export interface PublisherOptions {
  /** HTTP API base, e.g. http://127.0.0.1:8000 */
  api: string;
  apiKey: string;
  channels: number;
  channelPrefix: string;
  /** Publications per second over all channels; 0 = closed loop. */
  rate: number;
  payloadBytes: number;
}

/**
 * Publishes `{c, s, t, p}` round-robin over the channels through POST /api/publish. Each channel has
 * one lane (the next publish waits for the previous answer) so that its sequence numbers reach the
 * server in order, and a subscriber can tell a loss or a duplicate from reordering.
 */
export class Publisher {
  readonly perChannel: number[];
  published = 0;
  failed = 0;
  lastError = '';
  private readonly backlog: number[];
  private readonly busy: boolean[];
  private readonly agent: Agent;
  private readonly url: URL;
  private readonly pad: string;
  private idle?: () => void;
  private stopped = false;

  constructor(private readonly o: PublisherOptions) {
    this.perChannel = new Array(o.channels).fill(0);
    this.backlog = new Array(o.channels).fill(0);
    this.busy = new Array(o.channels).fill(false);
    this.agent = new Agent({ keepAlive: true, maxSockets: Math.min(256, o.channels) });
    this.url = new URL('/api/publish', o.api);
    this.pad = 'x'.repeat(Math.max(0, o.payloadBytes - 60));
  }

  private one(c: number): Promise<void> {
    const data: BenchData = { c, s: this.perChannel[c]++, t: now(), p: this.pad };
    this.published++;
    const body = JSON.stringify({ channel: channelName(this.o.channelPrefix, c), data });
    return new Promise((resolve) => {
      const req = request(this.url, { method: 'POST', agent: this.agent, headers: { authorization: `apikey ${this.o.apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        if (res.statusCode !== 200) {
          this.failed++;
          this.lastError = String(res.statusCode);
        }
        res.on('end', resolve);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        this.failed++;
        this.lastError = error.code ?? 'error';
        resolve();
      });
      req.end(body);
    });
  }

  private pump(c: number): void {
    if (this.busy[c] || this.backlog[c] === 0) {
      if (this.idle && this.busy.every((b) => !b)) this.idle();
      return;
    }
    this.busy[c] = true;
    this.backlog[c]--;
    void this.one(c).then(() => {
      this.busy[c] = false;
      this.pump(c);
    });
  }

  /** One publication on every channel, resolved when all are answered. */
  async once(): Promise<void> {
    await Promise.all(this.perChannel.map((_, c) => this.one(c)));
  }

    /** Ends `run` early (storm publishes until the wave is over). */
  stop(): void {
    this.stopped = true;
  }

  /** Publishes for `ms` (or until `stop`); in rate mode a channel whose lane falls behind keeps a backlog, which is dropped at the end. */
  async run(ms: number, onCount: (n: number) => void): Promise<void> {
    const start = now();
    let issued = 0;
    while (!this.stopped && now() - start < ms) {
      if (this.o.rate > 0) {
        const due = Math.floor(((now() - start) / 1000) * this.o.rate);
        for (; issued < due; issued++) {
          const c = issued % this.o.channels;
          this.backlog[c] = Math.min(this.backlog[c] + 1, 10_000);
          this.pump(c);
        }
      } else {
        for (let c = 0; c < this.o.channels; c++) {
          this.backlog[c] = Math.max(this.backlog[c], 1);
          this.pump(c);
        }
      }
      onCount(this.published);
      await new Promise((r) => setTimeout(r, 5));
    }
    this.backlog.fill(0);
    if (this.busy.some(Boolean)) await new Promise<void>((resolve) => (this.idle = resolve));
    this.agent.destroy();
  }
}
