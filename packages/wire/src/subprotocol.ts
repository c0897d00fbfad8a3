/**
 * The WebSocket subprotocols, one per codec, versioned: the only place these
 * names are written. The server picks the first one the client offers that it
 * has a codec for.
 */
export const Subprotocol = {
  /** `JsonCodec`: text frames. */
  Json: 'switchboard.v1.json',
  /** `MsgpackCodec` (`@switchboard/wire/msgpack`): binary frames. */
  Msgpack: 'switchboard.v1.msgpack',
} as const;
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];
