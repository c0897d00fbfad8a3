import { DisconnectCode } from '@switchboard/wire';

/**
 * The part of a Node HTTP/1.1 or HTTP/2 (compatibility API) response that the
 * streaming transports use: one long-lived response body.
 */
export interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: string): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  /** Node's HTTP/1.1 response has them; HTTP/2's compatibility response does not. */
  cork?(): void;
  uncork?(): void;
  readonly writableCorked?: number;
  /** Node's HTTP/1.1 response has it; HTTP/2's compatibility response has it on its `stream`. */
  readonly writableLength?: number;
  readonly stream?: { readonly writableLength: number };
  readonly writableEnded: boolean;
  readonly headersSent: boolean;
}

/**
 * Writes `chunk`, holding it with what else this event-loop turn writes to the
 * same response: the response is corked at its first write of the turn and
 * uncorked after the poll phase, so several publications that arrived together
 * leave in one write, as on a WebSocket (the shell's flush).
 */
export function writeInTurn(res: StreamResponse, chunk: string | Uint8Array): void {
  if (res.cork && res.writableCorked === 0) {
    res.cork();
    if (corked.push(res) === 1) setImmediate(uncorkAll);
  }
  res.write(chunk);
}

let corked: StreamResponse[] = [];
function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const res of list) res.uncork!();
}

/** Bytes written to `res` and not yet handed to the kernel. */
export function pendingBytes(res: StreamResponse): number {
  return res.writableLength ?? res.stream?.writableLength ?? 0;
}

/**
 * Headers for a response that must reach the client unbuffered and uncached:
 * `X-Accel-Buffering: no` turns nginx's proxy buffering off for this response;
 * `no-transform` keeps compressing proxies from holding bytes back.
 */
export function streamHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'cache-control': 'private, no-cache, no-store, no-transform, must-revalidate, max-age=0',
    'x-accel-buffering': 'no',
  };
}

/**
 * The HTTP status that answers a session closed before its stream opened (an auth refusal, a drain…), by disconnect
 * code.
 */
export function statusForEarlyClose(code: number): number {
  switch (code) {
    case DisconnectCode.Unauthorized:
    case DisconnectCode.InvalidToken:
      return 401;
    case DisconnectCode.ForceNoReconnect:
      return 403;
    case DisconnectCode.BadRequest:
    case DisconnectCode.BadProtocol:
    case DisconnectCode.MessageSizeLimit:
      return 400;
    case DisconnectCode.TooManyConnections:
    case DisconnectCode.Draining:
    case DisconnectCode.Shutdown:
      return 503;
    default:
      return 500;
  }
}

/**
 * Liveness of a peer that never sends (uni SSE): a keepalive written and
 * handed to the kernel counts as an answer, so a client that stopped reading
 * (its TCP window full) misses the heartbeat's deadline and is dropped, and a
 * closed socket is seen by the response's `close`.
 */
export function writeKeepalive(res: StreamResponse, chunk: string, alive: () => void): void {
  if (res.writableEnded) return;
  const pending = pendingBytes(res);
  res.write(chunk, (error) => {
    if (!error && pending === 0) alive();
  });
}

/**
 * Calls `listener` once everything written to `res` so far has been handed to
 * the kernel: an empty write, whose callback runs after those before it. Not
 * the response's `'drain'`, which Node emits only after a `write()` returned
 * false, so a backlog under the response's own high-water mark (16 KiB) would
 * never bring it (the slow consumer's wait stalled for good at small caps).
 */
export function onceWritten(res: StreamResponse, listener: () => void): void {
  if (res.writableEnded || !res.headersSent) return void setImmediate(listener);
  res.write('', () => listener());
}
