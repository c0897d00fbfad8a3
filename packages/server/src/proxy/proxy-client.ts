import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ResolvedProxyEndpoint } from './proxy-options.js';

/** Why a backend request failed; each has one documented outcome (116, temporary). */
export type ProxyFailureKind = 'timeout' | 'status' | 'unreachable' | 'busy' | 'invalid';

export class ProxyFailure extends Error {
  override name = 'ProxyFailure';
  constructor(
    readonly kind: ProxyFailureKind,
    message: string,
    /** The backend's HTTP status, for `status`. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Largest backend answer read; a longer one is `invalid`. */
const MAX_ANSWER_BYTES = 1_048_576;

/**
 * JSON over HTTP(S) to the application's backend, with keep-alive connections
 * and a cap on requests in flight (all events together): a reconnect storm
 * queues here instead of becoming a backend storm. A waiting request still
 * counts its timeout from when it was made, so nothing waits longer than its
 * endpoint's `timeoutMs`.
 */
export class ProxyClient {
  private inFlightNow = 0;
  /** The most requests in flight at once since start (or the last `resetPeak`). */
  peakInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(
    readonly maxInFlight: number,
    private readonly maxQueued: number,
    private readonly staticHeaders: Record<string, string>,
  ) {
    // One socket per request in flight at most: the cap bounds the connections too.
    this.http = new HttpAgent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight });
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  get queued(): number {
    return this.waiting.length;
  }

  resetPeak(): void {
    this.peakInFlight = this.inFlightNow;
  }

  /** POSTs `body`; resolves with the parsed JSON object of a 2xx answer, or rejects with a ProxyFailure. */
  async post(endpoint: ResolvedProxyEndpoint, body: object): Promise<Record<string, unknown>> {
    const deadline = Date.now() + endpoint.timeoutMs;
    await this.acquire(deadline);
    try {
      return await this.send(endpoint, body, deadline - Date.now());
    } finally {
      this.release();
    }
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private acquire(deadline: number): Promise<void> {
    if (this.inFlightNow < this.maxInFlight) {
      this.taken();
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued)
      return Promise.reject(new ProxyFailure('busy', `backend busy: ${this.maxQueued} requests already waiting`));
    return new Promise((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        this.taken();
        resolve();
      };
      const timer = setTimeout(
        () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new ProxyFailure('timeout', 'backend timed out (waiting for a free connection)'));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiting.push(go);
    });
  }

  private taken(): void {
    this.inFlightNow++;
    if (this.inFlightNow > this.peakInFlight) this.peakInFlight = this.inFlightNow;
  }

  private release(): void {
    this.inFlightNow--;
    // The slot passes straight to the next waiter.
    this.waiting.shift()?.();
  }

  private send(endpoint: ResolvedProxyEndpoint, body: object, timeoutMs: number): Promise<Record<string, unknown>> {
    const text = JSON.stringify(body);
    const https = endpoint.url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: ProxyFailure | undefined, value?: Record<string, unknown>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value!);
      };
      const req = (https ? httpsRequest : httpRequest)(endpoint.url, {
        method: 'POST',
        agent: https ? this.https : this.http,
        headers: {
          ...this.staticHeaders,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          accept: 'application/json',
        },
      });
      const timer = setTimeout(() => {
        settle(new ProxyFailure('timeout', `backend timed out after ${endpoint.timeoutMs} ms`));
        req.destroy();
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle(new ProxyFailure('unreachable', `backend unreachable (${error.code ?? error.message})`)),
      );
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          return settle(new ProxyFailure('status', `backend answered HTTP ${status}`, status));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            settle(new ProxyFailure('invalid', `backend answer over ${MAX_ANSWER_BYTES} bytes`));
            res.destroy();
          } else chunks.push(chunk);
        });
        res.on('error', () => settle(new ProxyFailure('unreachable', 'backend connection lost')));
        res.on('end', () => {
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
              throw new Error('not an object');
            settle(undefined, parsed as Record<string, unknown>);
          } catch {
            settle(new ProxyFailure('invalid', 'backend answer is not a JSON object'));
          }
        });
      });
      req.end(text);
    });
  }
}
