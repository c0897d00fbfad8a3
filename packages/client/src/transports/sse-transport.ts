import { TransportName, httpBaseOf, type ClientTransport } from './client-transport.js';
import { EmulatedConnection } from './emulated-connection.js';

/** What the transport uses of an EventSource. */
export interface EventSourceLike {
  onmessage: ((event: { data: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/**
 * SSE: `GET <base>/stream?format=sse&connect=<json>` read by an EventSource. Its own
 * reconnect is turned off (closed on the first error): the client reconnects
 * itself, with recovery and backoff.
 */
export function sseTransport(Impl?: EventSourceConstructor, fetchImpl?: typeof fetch): ClientTransport {
  return {
    name: TransportName.Sse,
    open(url) {
      const Ctor = Impl ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
      if (!Ctor) throw new TypeError('no EventSource implementation: pass options.EventSource');
      return new SseConnection(httpBaseOf(url), fetchImpl ?? globalThis.fetch.bind(globalThis), Ctor);
    },
  };
}

class SseConnection extends EmulatedConnection {
  private source: EventSourceLike | undefined;

  constructor(
    base: string,
    fetchImpl: typeof fetch,
    private readonly Impl: EventSourceConstructor,
  ) {
    super(base, fetchImpl);
  }

  protected openDownstream(connect: string): void {
    const source = (this.source = new this.Impl(
      `${this.base}/stream?format=sse&connect=${encodeURIComponent(connect)}`,
    ));
    source.onmessage = (event) => this.frame(event.data);
    source.onerror = () => this.end(1006, 'event stream failed');
  }

  protected stop(): void {
    this.source?.close();
  }
}
