/** Payloads shorter than this are unmasked byte by byte; setting up a word view costs more than it saves. */
const WORD_THRESHOLD = 64;

/** Scratch space for the rotated key, read back as one 32-bit word in the platform's byte order. */
const rotated = new Uint8Array(4);
const rotated32 = new Uint32Array(rotated.buffer);

/**
 * XORs `data[start, end)` in place with the 4-byte masking key (RFC 6455 §5.3).
 * `phase` is the key index of `data[start]`, so one frame's payload can be
 * unmasked across several chunks. Works word-at-a-time on the aligned middle.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, start = 0, end = data.length, phase = 0): void {
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    // Bytes up to the first 4-aligned address.
    const misalign = (data.byteOffset + i) & 3;
    const lead = misalign === 0 ? 0 : 4 - misalign;
    for (let stop = i + lead; i < stop; i++) data[i] ^= key[(phase + i - start) & 3];
    // Rotate the key so that byte 0 of each word lines up with data[i].
    for (let j = 0; j < 4; j++) rotated[j] = key[(phase + i - start + j) & 3];
    const mask32 = rotated32[0];
    const words = (end - i) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= mask32;
    i += words << 2;
  }
  for (; i < end; i++) data[i] ^= key[(phase + i - start) & 3];
}
