import { DisconnectCode } from '@switchboard/wire';

/**
 * Pusher's close and `pusher:error` codes, and what pusher-js does with each:
 * 4000–4099 never reconnect, 4100–4199 reconnect after a back-off, 4200–4299
 * reconnect at once, 4300+ are errors of one message (the connection stays).
 */
export const PusherErrorCode = {
  UnknownApp: 4001,
  OverQuota: 4004,
  UnsupportedProtocol: 4007,
  NoProtocol: 4008,
  Unauthorized: 4009,
  OverCapacity: 4100,
  Reconnect: 4200,
  PongMissed: 4201,
  ClientEventRate: 4301,
} as const;

/** The Pusher close code for a session's disconnect code (WebSocket codes < 4000 other than ours pass through). */
export function pusherCloseCode(code: number): number {
  switch (code) {
    // A drain closes with 1012 (restart) or 1001 (going away); new connections meanwhile get 3401.
    case 1001:
    case 1012:
    case DisconnectCode.Shutdown:
    case DisconnectCode.Draining:
    case DisconnectCode.ForceReconnect:
    case DisconnectCode.InsufficientState:
    case DisconnectCode.InternalError:
    case DisconnectCode.WriteError:
      return PusherErrorCode.Reconnect;
    case DisconnectCode.NoPong:
    case DisconnectCode.Stale:
      return PusherErrorCode.PongMissed;
    case DisconnectCode.TooManyConnections:
    case DisconnectCode.SlowConsumer:
      return PusherErrorCode.OverCapacity;
    case DisconnectCode.ConnectionLimit:
      return PusherErrorCode.OverQuota;
    default:
      return code >= 3000 && code < 4000 ? PusherErrorCode.Unauthorized : code;
  }
}
