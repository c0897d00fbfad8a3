/** Payloads shorter than this are unmasked byte by byte; setting up a word view costs more than it saves. */
const WORD_THRESHOLD = 64;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A 4-byte masking key as one int32, `key[at]` in the high byte: a number field instead of a per-connection array. */
export function maskKeyOf(key: Uint8Array, at = 0): number {
  return (key[at] << 24) | (key[at + 1] << 16) | (key[at + 2] << 8) | key[at + 3];
}

/**
 * XORs `data[start, end)` in place with the 4-byte masking key (RFC 6455 §5.3).
 * `phase` is the key index of `data[start]`, so one frame's payload can be
 * unmasked across several chunks. Works word-at-a-time on the aligned middle.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, start = 0, end = data.length, phase = 0): void {
  applyMaskKey(data, maskKeyOf(key), start, end, phase);
}

/** `applyMask` with the key as `maskKeyOf` gives it. */
export function applyMaskKey(data: Uint8Array, key: number, start = 0, end = data.length, phase = 0): void {
  // Rotate the key so that its high byte lines up with data[start]; each byte rotates it by one more.
  const shift = (phase & 3) << 3;
  let k = shift === 0 ? key | 0 : (key << shift) | (key >>> (32 - shift));
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    // Bytes up to the first 4-aligned address.
    const misalign = (data.byteOffset + i) & 3;
    for (let stop = misalign === 0 ? i : i + 4 - misalign; i < stop; i++) {
      data[i] ^= k >>> 24;
      k = (k << 8) | (k >>> 24);
    }
    // The key as a word in the platform's byte order: byte 0 of the word lines up with data[i].
    const mask32 = LITTLE_ENDIAN ? ((k & 0xff) << 24) | ((k & 0xff00) << 8) | ((k >>> 8) & 0xff00) | (k >>> 24) : k;
    const words = (end - i) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= mask32;
    i += words << 2;
  }
  for (; i < end; i++) {
    data[i] ^= k >>> 24;
    k = (k << 8) | (k >>> 24);
  }
}
