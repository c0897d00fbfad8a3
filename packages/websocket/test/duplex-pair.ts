import { Duplex } from 'node:stream';

/**
 * Two connected in-memory duplexes: what one writes, the other reads. Ending one
 * side ends the other's readable; destroying one destroys both, like a reset.
 * Node 20 has no stream.duplexPair.
 */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (index: number) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        sides[1 - index].push(Buffer.from(chunk)); // a copy: the reader may mutate it (unmasking in place)
        callback();
      },
      final(callback) {
        sides[1 - index].push(null);
        callback();
      },
      destroy(error, callback) {
        const peer = sides[1 - index];
        if (!peer.destroyed) peer.destroy();
        callback(error);
      },
    });
  sides.push(make(0), make(1));
  return [sides[0], sides[1]];
}
