/** Close status codes, RFC 6455 §7.4.1 and the IANA registry. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never on the wire: synthesized when a close frame had no status code. */
  NoStatusReceived: 1005,
  /** Never on the wire: synthesized when the connection ended without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Never on the wire: synthesized for a TLS handshake failure. */
  TlsHandshake: 1015,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * May this code appear in a close frame on the wire (§7.4.1, §7.4.2)?
 * 1000–1003 and 1007–1014 are defined; 1004–1006 and 1015 are reserved or
 * local-only; 3000–3999 are registered for libraries; 4000–4999 are private.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
