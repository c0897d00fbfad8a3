/**
 * What the sticky-free HTTP transports (HTTP streaming, SSE emulation,
 * long-polling) share: a session reachable by upstream requests that may land
 * on any node. `token` (`<id>.<secret>`) is told to the client in the connect
 * reply (`session`) together with the owning node; the secret is 128 random
 * bits, so a guessed or leaked id alone grants nothing.
 */
export interface EmulatedSession {
  /** The id half of the token: the registry's key. */
  readonly sessionId: string;
  /** What the connect reply hands the client. */
  readonly sessionToken: string;
}
