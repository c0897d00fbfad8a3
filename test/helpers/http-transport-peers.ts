// Test peers of the sticky-free HTTP transports: an SSE event reader, an NDJSON stream reader, and upstream/poll calls.

/** One SSE event as a browser's EventSource would see it. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** A fetch response body read line by line until it ends or `close()` aborts it. */
abstract class LineReader {
  ended = false;

  protected constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  /** Drops the connection, as a browser tab that goes away. */
  close(): void {
    this.abort.abort();
  }

  protected abstract line(line: string): void;

  /** The body ended (or was aborted). */
  protected ending(): void {}

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          this.line(line);
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.ending();
  }
}

/** Fetches `url` with an abort signal, for a LineReader. */
async function fetchStream(url: string, init: RequestInit): Promise<[Response, AbortController]> {
  const abort = new AbortController();
  return [await fetch(url, { ...init, signal: abort.signal }), abort];
}

/** Reads SSE events from a fetch response body (the SSE parsing rules of the HTML spec, enough for our streams). */
export class SseReader extends LineReader {
  readonly events: SseEvent[] = [];
  lastId: string | undefined;
  private waiters: (() => void)[] = [];
  private event: Partial<SseEvent> = {};

  /** Fetches `url` and reads its body. */
  static async open(url: string, init: RequestInit = {}): Promise<SseReader> {
    return new SseReader(...(await fetchStream(url, init)));
  }

  protected line(line: string): void {
    if (line === '') {
      if (this.event.data !== undefined)
        this.events.push({ event: this.event.event ?? 'message', data: this.event.data, id: this.lastId });
      this.event = {};
      this.wake();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') this.event.data = this.event.data === undefined ? value : `${this.event.data}\n${value}`;
    else if (name === 'event') this.event.event = value;
    else if (name === 'id') this.lastId = value;
  }

  protected ending(): void {
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `predicate` holds over the events (or the stream ends: then throws). */
  async until(predicate: (events: SseEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended) throw new Error(`stream ended; events: ${JSON.stringify(this.events.slice(-5))}`);
      if (Date.now() > deadline) throw new Error(`timed out; events: ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** The publications' data, per channel, in arrival order. */
  publications(channel: string): unknown[] {
    return this.events
      .filter((e) => e.event === 'message')
      .map((e) => JSON.parse(e.data) as { channel: string; pub: { data: unknown } })
      .filter((p) => p.channel === channel)
      .map((p) => p.pub.data);
  }
}

/** Reads NDJSON messages from a fetch response body. */
export class NdjsonReader extends LineReader {
  readonly messages: Record<string, unknown>[] = [];

  /** Fetches `url` and reads its body. */
  static async open(url: string, init: RequestInit = {}): Promise<NdjsonReader> {
    return new NdjsonReader(...(await fetchStream(url, init)));
  }

  protected line(line: string): void {
    if (line) this.messages.push(JSON.parse(line) as Record<string, unknown>);
  }

  async until<T>(find: (messages: Record<string, unknown>[]) => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find(this.messages);
      if (found !== undefined && found !== false) return found;
      if (Date.now() > deadline) throw new Error(`timed out; messages: ${JSON.stringify(this.messages.slice(-5))}`);
      if (this.ended) throw new Error(`stream ended; messages: ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** POSTs JSON and returns the status and the parsed body. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}
