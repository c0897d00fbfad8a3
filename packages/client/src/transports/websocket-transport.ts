import {
  TransportName,
  type ClientTransport,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client-transport.js';

/** WebSocket: the browser's, or an injected constructor (`@switchboard/websocket`, `ws`). */
export function webSocketTransport(Impl: WebSocketConstructor | undefined): ClientTransport {
  return {
    name: TransportName.WebSocket,
    open(url: string, protocol: string): WebSocketLike {
      const Ctor = Impl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!Ctor) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
      return new Ctor(url, protocol);
    },
  };
}
