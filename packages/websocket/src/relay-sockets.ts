import type { Duplex } from 'node:stream';

/**
 * Relays bytes both ways between two connected streams (a TCP proxy's two legs), with `pipe`'s
 * backpressure. The first error or close on either side destroys both and calls `onEnd` once; so a
 * reset of one leg from outside resets the relay, and there is no half-open relay (a socket closes
 * once its peer's FIN has been read).
 */
export function relaySockets(a: Duplex, b: Duplex, onEnd: () => void = () => {}): void {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    a.destroy();
    b.destroy();
    onEnd();
  };
  for (const s of [a, b]) s.on('error', end).on('close', end);
  a.pipe(b);
  b.pipe(a);
}
