import { ProtocolConnection, type ConnectionEvent, type ProtocolConnectionOptions } from '../src/index.js';

/** "81 05 48 65" → bytes. Spaces and newlines are ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export const text = (s: string) => new TextEncoder().encode(s);

/** A mask source that always yields the same key, for byte-exact fixtures. */
export const fixedMask = (key: Uint8Array) => (into: Uint8Array) => into.set(key);

export interface Harness {
  conn: ProtocolConnection;
  events: ConnectionEvent[];
  /** Everything written so far, joined. */
  output(): Uint8Array;
}

export function harness(options: Partial<ProtocolConnectionOptions> = {}): Harness {
  const events: ConnectionEvent[] = [];
  const chunks: Uint8Array[] = [];
  const role = options.role ?? 'server';
  const conn = new ProtocolConnection(
    { role, maskSource: role === 'client' ? fixedMask(hex('00 00 00 00')) : undefined, ...options },
    {
      // Message data may alias the input buffer: copy it so fixtures can be compared after more input.
      onEvent: (e) => events.push(e.type === 'message' ? { ...e, data: e.data.slice() } : e),
      onOutput: (c) => chunks.push(c.slice()),
    },
  );
  return {
    conn,
    events,
    output: () => concatBytes(...chunks),
  };
}

export type Chunking = 'whole' | 'bytewise';
export const CHUNKINGS: Chunking[] = ['whole', 'bytewise'];

/** Feeds a fresh copy of `bytes` (receive unmasks in place), whole or one byte at a time. */
export function feed(conn: ProtocolConnection, bytes: Uint8Array, chunking: Chunking): void {
  const copy = bytes.slice();
  if (chunking === 'whole') conn.receive(copy);
  else for (let i = 0; i < copy.length; i++) conn.receive(copy.subarray(i, i + 1));
}

/** Runs a fixture on a fresh harness for each chunking; returns the harnesses. */
export function eachChunking(
  bytes: Uint8Array,
  options: Partial<ProtocolConnectionOptions>,
  check: (h: Harness, chunking: Chunking) => void,
): void {
  for (const chunking of CHUNKINGS) {
    const h = harness(options);
    feed(h.conn, bytes, chunking);
    check(h, chunking);
  }
}

/** Builds a client→server frame with a given mask, as a peer would send it. */
export function maskedFrame(first: number, payload: Uint8Array, key = hex('37 fa 21 3d')): Uint8Array {
  const len = payload.length;
  const header = len < 126 ? [first, 0x80 | len] : len < 65536 ? [first, 0xfe, len >> 8, len & 0xff] : null;
  if (!header) throw new Error('fixture helper supports < 64 KiB');
  const out = new Uint8Array(header.length + 4 + len);
  out.set(header, 0);
  out.set(key, header.length);
  for (let i = 0; i < len; i++) out[header.length + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
