import type { LoadTransport } from './load-transport.js';
import { websocketLoadTransport } from './websocket-load-transport.js';

/** The load transports by name, as `BenchOptions.transport` names them. */
export const LOAD_TRANSPORTS: Readonly<Record<string, LoadTransport>> = Object.freeze({
  websocket: websocketLoadTransport,
});
