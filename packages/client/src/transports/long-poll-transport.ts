import { TransportName, httpBaseOf, type ClientTransport } from './client-transport.js';
import { EmulatedConnection } from './emulated-connection.js';

/** How long the server may hold a poll (ms). */
const POLL_WAIT_MS = 25_000;

/**
 * Long-polling: `POST <base>/poll/open` with the connect command, then
 * `POST <base>/poll {node, session, cursor}` in a loop, any node answering;
 * `cursor` is the last frame read, so a lost answer is sent again by the next
 * poll and every message is read once, in order.
 */
export function longPollTransport(fetchImpl?: typeof fetch): ClientTransport {
  return {
    name: TransportName.LongPoll,
    open: (url) => new LongPollConnection(httpBaseOf(url), fetchImpl ?? globalThis.fetch.bind(globalThis)),
  };
}

class LongPollConnection extends EmulatedConnection {
  private readonly abort = new AbortController();
  private cursor = 0;
  protected override answersPings = false;

  protected openDownstream(connect: string): void {
    void this.run(connect);
  }

  protected stop(): void {
    this.abort.abort();
  }

  private async post(path: string, body: string): Promise<Response> {
    return this.fetchImpl(`${this.base}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      signal: this.abort.signal,
      credentials: 'same-origin',
    });
  }

  private async run(connect: string): Promise<void> {
    try {
      const opened = await this.post('/poll/open', connect);
      if (!opened.ok) return this.end(1006, `poll refused: HTTP ${opened.status}`);
      const { session, node } = (await opened.json()) as { session: string; node: string };
      this.session = session;
      this.node = node;
      let failures = 0;
      while (!this.closed) {
        let res: Response;
        try {
          res = await this.post('/poll', JSON.stringify({ node, session, cursor: this.cursor, waitMs: POLL_WAIT_MS }));
        } catch (error) {
          if (this.closed || ++failures > 3) throw error;
          await new Promise((r) => setTimeout(r, 200 * failures));
          continue;
        }
        if (res.status === 504 || res.status === 503 || res.status === 502) {
          if (++failures > 3) return this.end(1006, `poll failed: HTTP ${res.status}`);
          continue;
        }
        if (!res.ok)
          return this.end(res.status === 404 || res.status === 410 ? 3001 : 1006, `poll failed: HTTP ${res.status}`);
        failures = 0;
        const { frames } = (await res.json()) as { frames: { seq: number; data: string }[] };
        for (const f of frames) {
          if (f.seq <= this.cursor) continue;
          this.cursor = f.seq;
          this.frame(f.data);
        }
      }
    } catch {
      this.end(1006, 'polling failed');
    }
  }
}
