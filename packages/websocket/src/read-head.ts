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
 * `done` also gets the socket, so one callback can serve every handshake.
 */
export function readHead<T>(
  socket: Duplex,
  reader: HttpHeadReader<T>,
  timeoutMs: number,
  done: (outcome: HeadOutcome<T>, socket: Duplex) => void,
): void {
  // Shared listeners find their state on the socket: no closures per handshake.
  const s = socket as HeadSocket;
  s[kHead] = { reader, done: done as HeadRead['done'], timer: setTimeout(onTimeout, timeoutMs, s) };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
}

interface HeadRead {
  reader: HttpHeadReader<unknown>;
  done: (outcome: HeadOutcome<unknown>, socket: Duplex) => void;
  timer: NodeJS.Timeout;
}

const kHead = Symbol('switchboard.readHead');
type HeadSocket = Duplex & { [kHead]: HeadRead | undefined };

function finish(socket: HeadSocket, outcome: HeadOutcome<unknown>): void {
  const read = socket[kHead]!;
  socket[kHead] = undefined;
  clearTimeout(read.timer);
  socket.off('data', onData);
  socket.off('error', onError);
  socket.off('close', onClose);
  read.done(outcome, socket);
}

function onData(this: HeadSocket, chunk: Buffer): void {
  let result: HeadResult<unknown> | null;
  try {
    result = this[kHead]!.reader.push(chunk);
  } catch (error) {
    finish(this, { type: 'invalid', error });
    return;
  }
  if (result) finish(this, { type: 'head', head: result.head, rest: result.rest });
}

function onError(this: HeadSocket, error: Error): void {
  finish(this, { type: 'closed', error });
}

function onClose(this: HeadSocket): void {
  finish(this, { type: 'closed' });
}

function onTimeout(socket: HeadSocket): void {
  finish(socket, { type: 'timeout' });
}
