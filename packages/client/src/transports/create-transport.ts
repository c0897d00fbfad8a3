import {
  TransportName,
  type ClientTransport,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client-transport.js';
import { httpStreamTransport } from './http-stream-transport.js';
import { longPollTransport } from './long-poll-transport.js';
import { sseTransport, type EventSourceConstructor } from './sse-transport.js';
import { webSocketTransport } from './websocket-transport.js';

/** The runtime pieces that transports are built with: the ones ClientOptions injects (a ClientOptions is one). */
interface TransportRuntime {
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  EventSource?: EventSourceConstructor;
}

/** The transport of that name, with the runtime pieces the options inject (WebSocket, fetch, EventSource). */
export function createTransport(name: TransportName, options: TransportRuntime): ClientTransport {
  switch (name) {
    case TransportName.WebSocket:
      return webSocketTransport(options.WebSocket);
    case TransportName.HttpStream:
      return httpStreamTransport(options.fetch);
    case TransportName.Sse:
      return sseTransport(options.EventSource, options.fetch);
    case TransportName.LongPoll:
      return longPollTransport(options.fetch);
    default:
      throw new TypeError(`Client: unknown transport "${String(name)}"`);
  }
}

/**
 * After `everyMs`, opens a connection on `better` (when there is one) and closes
 * it again: if it opened, `moveUp()` switches; if it failed, probes again later.
 * Returns the cancel function (the client's teardown calls it).
 */
export function scheduleUpgradeProbe(
  better: TransportName | undefined,
  everyMs: number,
  open: () => WebSocketLike,
  moveUp: () => void,
): () => void {
  if (!better || everyMs === 0) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  const probe = () => {
    let connection: WebSocketLike;
    try {
      connection = open();
    } catch {
      return;
    }
    connection.onmessage = null;
    connection.onopen = () => {
      connection.onclose = null;
      connection.close(1000);
      if (!cancelled) moveUp();
    };
    connection.onclose = () => {
      if (!cancelled) timer = setTimeout(probe, everyMs);
    };
  };
  timer = setTimeout(probe, everyMs);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
