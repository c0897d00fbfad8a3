// The seam between the load tools and a transport: bench opens connections through a LoadTransport
// and sees only joins, publications and closes. WebSocket is the one today; SSE, long-poll and
// HTTP/2 streams implement the same interface when they land.

/** Where one connection goes, and from which local address (to spread over ephemeral port ranges). */
export interface LoadTarget {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
  /** A JWT for `connect`; anonymous when absent. */
  token?: string;
}

/** What a connection reports. Data is the publication's JSON data, as parsed. */
export interface LoadSink {
  publication(channel: string, data: unknown): void;
  /** The connection ended after it was up: the close code (1006 when no close frame came). */
  closed(code: number): void;
}

export interface LoadConnection {
  close(): void;
}

/**
 * An error while opening, with a stable label for "errors by code": `http-503`, `ECONNREFUSED`, `reply-103`…
 * A reply error names the command it answered, and `message` is the server's.
 */
export class LoadOpenError extends Error {
  override name = 'LoadOpenError';
  constructor(
    readonly code: string,
    message: string,
    readonly command?: 'connect' | 'subscribe',
  ) {
    super(message);
  }
}

export interface LoadTransport {
  readonly name: string;
  /**
   * Opens a connection, connects and subscribes to `channels`; resolves once every subscribe is answered, rejects with
   * LoadOpenError.
   */
  open(target: LoadTarget, channels: readonly string[], sink: LoadSink): Promise<LoadConnection>;
}
