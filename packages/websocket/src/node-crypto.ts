import * as crypto from 'node:crypto';
import { createHash, randomFillSync } from 'node:crypto';
import type { MaskSource, Sha1 } from '@switchboard/protocol';

/** One-shot `crypto.hash` (Node ≥ 20.12), where there is one. */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/**
 * SHA-1 once per handshake. With `crypto.hash` there is no Hash object, and the digest comes back
 * as a latin1 ('binary') string copied into a 20-byte array, which V8 keeps on its heap: no Buffer backing
 * store is allocated outside it (2× faster than a Buffer digest).
 */
export const sha1: Sha1 = oneShot
  ? (data) => {
      const digest = oneShot('sha1', data, 'binary'); // latin1
      const out = new Uint8Array(digest.length);
      for (let i = 0; i < digest.length; i++) out[i] = digest.charCodeAt(i);
      return out;
    }
  : (data) => createHash('sha1').update(data).digest();

export function randomFill(into: Uint8Array): void {
  randomFillSync(into);
}

/**
 * Masking keys from a pool of CSPRNG bytes refilled 8 KiB at a time: one
 * syscall per 2,048 frames instead of one per frame (§5.3 wants them unpredictable,
 * not individually fetched).
 */
export function createMaskSource(): MaskSource {
  const pool = new Uint8Array(8192);
  let at = pool.length;
  return (into) => {
    if (at + 4 > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    into[0] = pool[at];
    into[1] = pool[at + 1];
    into[2] = pool[at + 2];
    into[3] = pool[at + 3];
    at += 4;
  };
}
