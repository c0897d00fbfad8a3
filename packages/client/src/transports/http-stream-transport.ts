import { TransportName, httpBaseOf, type ClientTransport } from './client-transport.js';
import { EmulatedConnection } from './emulated-connection.js';

/**
 * HTTP streaming: `POST <base>/stream` with the connect command, read as newline-delimited JSON from a `fetch` body.
 */
export function httpStreamTransport(fetchImpl?: typeof fetch): ClientTransport {
  return {
    name: TransportName.HttpStream,
    open: (url) => new HttpStreamConnection(httpBaseOf(url), fetchImpl ?? globalThis.fetch.bind(globalThis)),
  };
}

class HttpStreamConnection extends EmulatedConnection {
  private readonly abort = new AbortController();

  protected openDownstream(connect: string): void {
    void this.read(connect);
  }

  protected stop(): void {
    this.abort.abort();
  }

  private async read(connect: string): Promise<void> {
    try {
      const res = await this.fetchImpl(`${this.base}/stream`, {
        method: 'POST',
        body: connect,
        headers: { 'content-type': 'application/json' },
        signal: this.abort.signal,
        credentials: 'same-origin',
      });
      if (!res.ok || !res.body) return this.end(1006, `stream refused: HTTP ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line) this.frame(line);
        }
      }
      this.end(1006, 'stream ended');
    } catch {
      this.end(1006, 'stream failed');
    }
  }
}
