import type { Duplex } from 'node:stream';
import type { HttpRequestHead } from '@switchboard/protocol';
import { SocketShell, type ShellListener, type SocketShellOptions } from './socket-shell.js';

/**
 * A connection whose opening handshake succeeded (the 101 response is written),
 * before anything reads from it. `open(listener)` makes its `SocketShell` with the
 * server's limits and the negotiated extensions, so whoever takes the connection
 * (a `ServerWebSocket`, or an adapter of your own such as a server's transport)
 * is the shell's only listener, with nothing in between.
 */
export class AcceptedConnection {
  constructor(
    readonly socket: Duplex,
    readonly request: HttpRequestHead,
    /** The chosen subprotocol, or ''. */
    readonly protocol: string,
    /** The `Sec-WebSocket-Extensions` response header, or ''. */
    readonly extensions: string,
    private readonly options: SocketShellOptions,
    /** Bytes that followed the handshake. */
    private readonly head: Uint8Array,
  ) {}

  /**
   * Makes the connection's shell, reporting to `listener`. Call it once. Bytes that
   * followed the handshake are read on the next tick, once the caller is wired up.
   */
  open(listener: ShellListener): SocketShell {
    const shell = new SocketShell(this.socket, this.options, listener);
    if (this.head.length > 0) process.nextTick(startShell, shell, this.head);
    else shell.start(this.head);
    return shell;
  }
}

function startShell(shell: SocketShell, head: Uint8Array): void {
  shell.start(head);
}
