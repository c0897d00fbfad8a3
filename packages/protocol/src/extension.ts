import type { PreparedFrame } from './frame-serializer.js';

/** One `name[=value]` parameter of an extension (RFC 6455 §9.1). A bare name has value `true`. */
export interface ExtensionParam {
  name: string;
  value: string | true;
}

/**
 * A negotiated extension that transforms data messages (RFC 6455 §9).
 * On send, every extension encodes in negotiation order. On receive, the
 * last-negotiated extension that claims the message's RSV bits decodes it
 * (decoders are not chained). Control frames are never transformed.
 */
export interface Extension {
  readonly name: string;
  /** The RSV bits this extension may set; any other set bit still fails with 1002. */
  readonly rsv: number;
  /** Transforms an outgoing message; `rsv` goes on its first frame only. */
  encode(payload: Uint8Array, binary: boolean): { payload: Uint8Array; rsv: number };
  /**
   * Starts an incoming message whose first frame carried `rsv`. Returns a decoder
   * for it, or null when the message is not transformed by this extension.
   */
  startDecode(rsv: number): MessageDecoder | null;
  /**
   * Optional: the whole frame to write for a message prepared for many
   * connections, encoded once for all connections with the same parameters
   * (cached in `frame.shared`), or made for this one alone; undefined to send
   * the prepared bytes as they are.
   */
  encodeShared?(frame: PreparedFrame): Uint8Array | undefined;
  /** Frees what the extension holds; called once the connection is gone. */
  dispose(): void;
}

/** Decodes one incoming message as its payload arrives. */
export interface MessageDecoder {
  /**
   * Takes the next wire bytes of the message (`last` on its final chunk) and
   * returns the decoded bytes produced so far. Throws a ProtocolError to fail the
   * connection, e.g. 1009 as soon as the output would pass the size limit.
   */
  push(chunk: Uint8Array, last: boolean): Uint8Array[];
}

/** The result of a successful server-side negotiation for one extension. */
export interface AcceptedExtension {
  /** Parameters for the Sec-WebSocket-Extensions response. */
  response: ExtensionParam[];
  extension: Extension;
}
