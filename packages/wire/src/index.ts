/** @switchboard/wire: the application protocol, versioned by WebSocket subprotocol, behind a Codec. */
export type {
  Command,
  Method,
  Reply,
  Push,
  PublicationPush,
  ClientInfo,
  StreamPosition,
  ConnectParams,
  SubscribeParams,
  ChannelParams,
  PublishParams,
  HistoryParams,
  RpcParams,
  SendParams,
  RefreshParams,
  SubscribeResult,
  ConnectResult,
  PublishResultWire,
  HistoryResultWire,
  PresenceResult,
  PresenceStatsResult,
} from './messages.js';
export { WireError, type Codec } from './codec.js';
export { JsonCodec, type JsonCodecOptions } from './json-codec.js';
export {
  CodedError,
  ReplyErrorCode,
  DisconnectCode,
  ReconnectAdvice,
  APPLICATION_REPLY_ERRORS,
  reconnectAdvice,
  withReconnectAfter,
  parseReconnectAfter,
  type ReconnectWindow,
  type ReplyError,
} from './codes.js';
export { continuity, type Continuity } from './stream-continuity.js';
export { presenceFromList, applyPresenceDiff, presenceByUser, type PresenceState, type PresenceDiff } from './presence-merge.js';
