import { Client } from 'undici';
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

/** Publications a channel's connection may have sent and not yet had answered; more wait in order. */
const PIPELINE_DEPTH = 1024;
/** After the last publish, how long answers may still come; then the rest count as failed, `unanswered`. */
const ANSWER_WAIT_MS = 10_000;

/**
 * Publishes `{c, s, t, p}` round-robin over the channels through POST /api/publish, each channel on a
 * keep-alive connection of its own with its requests pipelined: the server answers them in order, so
 * its sequence numbers reach the server in order and a subscriber can tell a loss or a duplicate from
 * reordering. In rate mode every publication is sent when it is due, whether or not the ones before it
 * were answered (the offered rate is the rate), with an idempotency key: when a connection fails,
 * undici sends its unanswered requests again, and the server must not publish those twice. In
 * closed-loop mode each channel has one publication outstanding, not resent, and no key (a key is
 * stored by the engine, and `size` measures a plain publish).
 */
export class Publisher {
  readonly perChannel: number[];
  published = 0;
  failed = 0;
  lastError = '';
  private readonly clients: Client[];
  private readonly busy: boolean[];
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly keyPrefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  private readonly pad: string;
  private inFlight = 0;
  private idle?: () => void;
  private stopped = false;

  constructor(private readonly o: PublisherOptions) {
    const url = new URL('/api/publish', o.api);
    this.perChannel = new Array(o.channels).fill(0);
    this.busy = new Array(o.channels).fill(false);
    this.clients = Array.from({ length: o.channels }, () => new Client(url.origin, { pipelining: PIPELINE_DEPTH }));
    this.path = url.pathname;
    this.headers = { authorization: `apikey ${o.apiKey}`, 'content-type': 'application/json' };
    this.pad = 'x'.repeat(Math.max(0, o.payloadBytes - 60));
  }

  private async one(c: number): Promise<void> {
    const data: BenchData = { c, s: this.perChannel[c]++, t: now(), p: this.pad };
    this.published++;
    this.inFlight++;
    // Pipelined (rate mode), a request undici may send again carries a key; alone on its connection, none.
    const pipelined = this.o.rate > 0;
    const key = pipelined ? { idempotencyKey: `${this.keyPrefix}-${c}-${data.s}` } : {};
    const body = JSON.stringify({ channel: channelName(this.o.channelPrefix, c), data, ...key });
    try {
      const res = await this.clients[c].request({
        path: this.path,
        method: 'POST',
        headers: this.headers,
        body,
        idempotent: pipelined,
      });
      await res.body.dump();
      if (res.statusCode !== 200) {
        this.failed++;
        this.lastError = String(res.statusCode);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      this.failed++;
      this.lastError = code === 'UND_ERR_DESTROYED' ? 'unanswered' : code;
    }
    if (--this.inFlight === 0) this.idle?.();
  }

  /** Closed loop: the channel's next publication as soon as its last one is answered. */
  private pump(c: number): void {
    if (this.busy[c] || this.stopped) return;
    this.busy[c] = true;
    void this.one(c).then(() => {
      this.busy[c] = false;
      if (this.idle === undefined) this.pump(c);
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

  /**
   * Publishes for `ms` (or until `stop`), then waits up to ANSWER_WAIT_MS for the answers still due and closes its
   * connections.
   */
  async run(ms: number, onCount: (n: number) => void): Promise<void> {
    const start = now();
    let issued = 0;
    while (!this.stopped && now() - start < ms) {
      if (this.o.rate > 0) {
        const due = Math.floor(((now() - start) / 1000) * this.o.rate);
        for (; issued < due; issued++) void this.one(issued % this.o.channels);
      } else {
        for (let c = 0; c < this.o.channels; c++) this.pump(c);
      }
      onCount(this.published);
      await new Promise((r) => setTimeout(r, 5));
    }
    const answered = new Promise<void>((resolve) => (this.idle = resolve));
    let timer: NodeJS.Timeout | undefined;
    if (this.inFlight > 0)
      await Promise.race([answered, new Promise((resolve) => (timer = setTimeout(resolve, ANSWER_WAIT_MS)))]);
    clearTimeout(timer);
    await Promise.all(this.clients.map((client) => client.destroy()));
    if (this.inFlight > 0) await answered; // the destroyed requests settle as `unanswered`
  }
}
