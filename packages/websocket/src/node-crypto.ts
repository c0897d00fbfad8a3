import { createHash, randomFillSync } from 'node:crypto';
import type { MaskSource, Sha1 } from '@switchboard/protocol';

export const sha1: Sha1 = (data) => createHash('sha1').update(data).digest();

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
