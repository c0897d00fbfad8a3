import type { WebSocketLike } from './client-transport.js';

/** Ids of the transport's own pings (answers to the server's `ping` push), kept apart from the client's. */
const PING_ID_BASE = 2_000_000_000;
/** Upstream retries of one batch (network errors, 502/503/504), same seq each time: the server applies it once. */
const UPSTREAM_RETRIES = 4;

/**
 * The bidirectional emulation's upstream and framing, shared by the HTTP
 * streaming, SSE and long-polling transports: a WebSocket-shaped connection
 * whose first `send` (the connect command) opens the downstream, and whose
 * later sends are POSTed to `<base>/emulation` with `{node, session, seq, data}`,
 * one POST in flight, the rest batched behind it, so the server applies them in
 * order exactly once even across retries.
 */
export abstract class EmulatedConnection implements WebSocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  binaryType = 'arraybuffer';
  protected session: string | undefined;
  protected node: string | undefined;
  protected closed = false;
  private connectCommand: string | undefined;
  private seq = 0;
  private queue: string[] = [];
  private posting = false;
  private pings = 0;
  private lastUpstream = 0;
  /** The server counts an upstream request as a pong; long-polling's polls already are. */
  protected answersPings = true;

  constructor(
    protected readonly base: string,
    protected readonly fetchImpl: typeof fetch,
  ) {
    setTimeout(() => this.closed || this.onopen?.({}), 0);
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    if (this.connectCommand === undefined) {
      this.connectCommand = text;
      return this.openDownstream(text);
    }
    this.queue.push(text);
    void this.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
  }

  /** Opens the downstream with the connect command. */
  protected abstract openDownstream(connect: string): void;
  /** Stops the downstream (no `onclose`). */
  protected abstract stop(): void;

  /** One server message from the downstream: a close frame, a reply, a push. */
  protected frame(text: string): void {
    if (this.closed) return;
    if (text.startsWith('{"close":')) {
      const { close } = JSON.parse(text) as { close: { code: number; reason: string } };
      return this.end(close.code, close.reason);
    }
    if (this.session === undefined && text.includes('"session":')) {
      const reply = JSON.parse(text) as { result?: { session?: string; node?: string } };
      this.session = reply.result?.session;
      this.node = reply.result?.node;
    }
    // Any upstream request is a pong: answer only when nothing went up lately (the server may ping twice per beat).
    if (text === '{"push":"ping"}' && this.answersPings && Date.now() - this.lastUpstream > 1000)
      this.send(JSON.stringify({ id: PING_ID_BASE + ++this.pings, method: 'ping', params: {} }));
    const id = /^\{"id":(\d+),/.exec(text);
    if (id && Number(id[1]) > PING_ID_BASE) return;
    this.onmessage?.({ data: text });
  }

  /** The connection ended: tell the client once. */
  protected end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.onclose?.({ code, reason });
  }

  private async flush(): Promise<void> {
    if (this.posting || this.closed || this.session === undefined || this.queue.length === 0) return;
    this.posting = true;
    const batch = this.queue.length === 1 ? this.queue[0] : `[${this.queue.join(',')}]`;
    this.queue = [];
    const body = JSON.stringify({ node: this.node, session: this.session, seq: ++this.seq, data: batch });
    this.lastUpstream = Date.now();
    for (let attempt = 0; !this.closed; attempt++) {
      let status = 0;
      try {
        status = (
          await this.fetchImpl(`${this.base}/emulation`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            credentials: 'same-origin',
          })
        ).status;
      } catch {
        status = 0;
      }
      if (status === 200) break;
      const retryable = status === 0 || status === 502 || status === 503 || status === 504;
      if (!retryable || attempt >= UPSTREAM_RETRIES)
        return this.end(
          status === 404 || status === 410 ? 3001 : 1006,
          `upstream POST failed with ${status || 'a network error'}`,
        );
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
    this.posting = false;
    void this.flush();
  }
}
