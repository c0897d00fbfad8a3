/**
 * @switchboard/client: the Switchboard client for browsers and Node (web standards only: WebSocket, fetch and
 * EventSource injected, or the globals).
 */
export { Client } from './client.js';
export {
  ClientState,
  type ClientOptions,
  type ClientEvent,
  type NetworkEvents,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client-options.js';
export { ClientError, ClientErrorCode } from './client-errors.js';
export { TransportName } from './transports/client-transport.js';
export type { EventSourceConstructor, EventSourceLike } from './transports/sse-transport.js';
export {
  Subscription,
  SubscriptionState,
  type SubscriptionEvent,
  type SubscribeOptions,
  type Publication,
  type Snapshot,
} from './subscription.js';
export { fullJitterDelay, windowDelay, type BackoffOptions } from './backoff.js';
export {
  presenceFromList,
  applyPresenceDiff,
  presenceByUser,
  type PresenceState,
  type PresenceDiff,
} from '@switchboard/wire';
export { jsonClientCodec, Subprotocol, type ClientCodec } from '@switchboard/wire';
export type {
  StreamPosition,
  ClientInfo,
  PublishResultWire,
  HistoryResultWire,
  PresenceStatsResult,
} from '@switchboard/wire';
