import zlib from 'node:zlib';
import type { DeflateCodec, RawDeflate, RawInflate } from '@switchboard/protocol';

const { Z_SYNC_FLUSH } = zlib.constants;

/**
 * node:zlib has no public synchronous API for a persistent stream (the *Sync
 * functions close theirs after one call), yet context takeover needs one and
 * bounded inflation wants to stop mid-stream. So we drive the stream's native
 * handle the way zlib.*Sync do internally, without closing it.
 */
interface NativeZlib {
  _handle: {
    writeSync(
      flush: number,
      input: Uint8Array,
      inOff: number,
      inLen: number,
      out: Uint8Array,
      outOff: number,
      outLen: number,
    ): void;
  } | null;
  /** [availOutAfter, availInAfter] after each writeSync. */
  _writeState: Uint32Array;
}
/** Checked when the first stream is made, so programs that never compress never depend on it. */
let supported = false;
function assertSupported(stream: NativeZlib): void {
  if (supported) return;
  if (typeof stream._handle?.writeSync !== 'function' || !(stream._writeState instanceof Uint32Array)) {
    throw new Error('this Node.js version does not expose the zlib handle permessage-deflate needs');
  }
  supported = true;
}

/** Output is produced into this shared scratch space and copied out (one thread, one call at a time). */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

class NodeStream implements RawDeflate, RawInflate {
  private readonly zlib: zlib.DeflateRaw | zlib.InflateRaw;
  private readonly native: NativeZlib;

  constructor(
    readonly kind: 'deflate' | 'inflate',
    readonly windowBits: number,
    memLevel: number,
  ) {
    // chunkSize 64 (the minimum): Node's own output buffer is never used, we write into SCRATCH.
    const options = { windowBits, chunkSize: 64 };
    this.zlib = kind === 'deflate' ? zlib.createDeflateRaw({ ...options, memLevel }) : zlib.createInflateRaw(options);
    // zlib reports errors by destroying the stream; we detect that synchronously below.
    this.zlib.on('error', () => {});
    this.native = this.zlib as unknown as NativeZlib;
    assertSupported(this.native);
  }

  compress(data: Uint8Array): Uint8Array {
    const out = this.run(data, Infinity)!; // no limit, never null
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  inflate(data: Uint8Array, limit: number): Uint8Array[] | null {
    return this.run(data, limit);
  }

  reset(): boolean {
    if (this.zlib.destroyed) return false;
    this.zlib.reset();
    return true;
  }

  close(): void {
    this.zlib.close();
  }

  /** Feeds all of `input` with a sync flush; null once more than `limit` bytes would come out. */
  private run(input: Uint8Array, limit: number): Uint8Array[] | null {
    const handle = this.native._handle;
    if (!handle) throw new Error('zlib stream is closed');
    const state = this.native._writeState;
    const out: Uint8Array[] = [];
    let produced = 0;
    let inOff = 0;
    let availIn = input.length;
    while (true) {
      handle.writeSync(Z_SYNC_FLUSH, input, inOff, availIn, SCRATCH, 0, SCRATCH.length);
      if (this.zlib.destroyed) throw new Error('invalid deflate data');
      const availOut = state[0];
      const have = SCRATCH.length - availOut;
      if (have > 0) {
        produced += have;
        if (produced > limit) return null;
        out.push(Buffer.from(SCRATCH.subarray(0, have)));
      }
      inOff += availIn - state[1];
      availIn = state[1];
      // A full output buffer means zlib has more to give for the same input.
      if (availOut !== 0) return out;
    }
  }
}

export interface NodeDeflateCodecOptions {
  /** zlib memLevel for compressors, 1–9: lower saves memory per stream at some ratio. @default 8 */
  memLevel?: number;
  /** Idle streams kept per kind and window size for reuse. @default 16 */
  poolSize?: number;
}

/**
 * A DeflateCodec on node:zlib. Streams released by connections (always, without
 * context takeover) are reset and pooled per window size, so a server with many
 * idle compressed connections holds at most `poolSize` streams of each kind.
 */
export function createNodeDeflateCodec(options: NodeDeflateCodecOptions = {}): DeflateCodec {
  const memLevel = options.memLevel ?? 8;
  const poolSize = options.poolSize ?? 16;
  const pools = new Map<string, NodeStream[]>();
  const acquire = (kind: 'deflate' | 'inflate', windowBits: number) =>
    pools.get(`${kind}:${windowBits}`)?.pop() ?? new NodeStream(kind, windowBits, memLevel);
  return {
    acquireDeflate: (windowBits) => acquire('deflate', windowBits),
    acquireInflate: (windowBits) => acquire('inflate', windowBits),
    release(raw) {
      const stream = raw as NodeStream;
      const key = `${stream.kind}:${stream.windowBits}`;
      const pool = pools.get(key) ?? pools.set(key, []).get(key)!;
      // A stream destroyed by a zlib error cannot be reused.
      if (stream.reset() && pool.length < poolSize) pool.push(stream);
      else stream.close();
    },
  };
}

/** The process-wide codec used unless one is injected. */
export const defaultDeflateCodec: DeflateCodec = createNodeDeflateCodec();
