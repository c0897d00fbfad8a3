/**
 * @switchboard/wire: the application protocol, versioned by WebSocket subprotocol, behind a two-way Codec. MessagePack:
 * `@switchboard/wire/msgpack`.
 */
export type {
  Command,
  Method,
  MethodMap,
  RequestMethod,
  ParamsOf,
  ResultOf,
  Reply,
  Push,
  ServerMessage,
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
  RefreshResult,
  Empty,
} from './messages.js';
export { WireError, WireErrorCode, type Codec, type ClientCodec, type WireMessage } from './codec.js';
export { Subprotocol } from './subprotocol.js';
export { JsonCodec, jsonClientCodec, type JsonCodecOptions } from './json-codec.js';
export { JsonBytes } from './json-bytes.js';
export {
  CodedError,
  ReplyErrorCode,
  DisconnectCode,
  ReconnectAdvice,
  reconnectAdvice,
  withReconnectAfter,
  parseReconnectAfter,
  type ReconnectWindow,
  type ReplyError,
} from './codes.js';
export { continuity, type Continuity } from './stream-continuity.js';
export {
  presenceFromList,
  applyPresenceDiff,
  presenceByUser,
  type PresenceState,
  type PresenceDiff,
} from './presence-merge.js';
