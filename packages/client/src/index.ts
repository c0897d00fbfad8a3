/** @switchboard/client: the Switchboard client for browsers and Node (WebSocket injected, web standards only). */
export { Client, ClientError, ClientState, type ClientOptions, type ClientEvents, type WebSocketConstructor } from './client.js';
export { Subscription, SubscriptionState, type SubscriptionEvents } from './subscription.js';
export { fullJitterDelay, type BackoffOptions } from './backoff.js';
export { presenceFromList, applyPresenceDiff, presenceByUser, type PresenceState } from '@switchboard/wire';
