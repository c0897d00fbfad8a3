import type { Duplex } from 'node:stream';
import type { HeadResult, HttpHeadReader } from '@switchboard/protocol';

/** How reading an opening handshake's HTTP head ended. */
export type HeadOutcome<T> =
  | ({ type: 'head' } & HeadResult<T>)
  /** The head is malformed or over the size limit: the `HandshakeError` the reader threw. */
  | { type: 'invalid'; error: unknown }
  | { type: 'timeout' }
  /** The transport failed (`error`) or closed before the head was complete. */
  | { type: 'closed'; error?: Error };

/**
 * The first step of the opening handshake on both sides (the server reads the
 * request, the client the response): reads one HTTP head off any Duplex with the
 * core's bounded `HttpHeadReader`, within `timeoutMs`. Calls `done` exactly once,
 * after removing its listeners and timer, so the socket passes cleanly to its next
 * owner (a rejection, or the connection's shell). Bytes after the head are in `rest`.
 */
export function readHead<T>(socket: Duplex, reader: HttpHeadReader<T>, timeoutMs: number, done: (outcome: HeadOutcome<T>) => void): void {
  const finish = (outcome: HeadOutcome<T>) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', onClose);
    done(outcome);
  };
  const onData = (chunk: Buffer) => {
    let result: HeadResult<T> | null;
    try {
      result = reader.push(chunk);
    } catch (error) {
      finish({ type: 'invalid', error });
      return;
    }
    if (result) finish({ type: 'head', head: result.head, rest: result.rest });
  };
  const onError = (error: Error) => finish({ type: 'closed', error });
  const onClose = () => finish({ type: 'closed' });
  const timer = setTimeout(() => finish({ type: 'timeout' }), timeoutMs);
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
}
