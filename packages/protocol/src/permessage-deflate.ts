import { CloseCode } from './close-code.js';
import { ErrorCode, HandshakeError, ProtocolError, SwitchboardError } from './errors.js';
import type { AcceptedExtension, Extension, MessageDecoder } from './extension.js';
import { Rsv, type Role } from './frame.js';
import { frameMessage, type PreparedFrame } from './frame-serializer.js';
import type {
  ClientExtensionNegotiator,
  ExtensionParam,
  ServerExtensionNegotiator,
} from './handshake/extension-header.js';

/**
 * Raw DEFLATE streams, injected by the shell (node:zlib in Node) so the core
 * stays I/O-free. Both are synchronous: one message at a time per process,
 * which is the strictest possible concurrency limit (docs/decisions/0001).
 */
export interface RawDeflate {
  /** Compresses `data` and ends with a sync flush (so the output ends in 00 00 ff ff). */
  compress(data: Uint8Array): Uint8Array;
}
export interface RawInflate {
  /**
   * Inflates `data` with a sync flush; returns null as soon as more than `limit` bytes would come out. Throws on
   * invalid data.
   */
  inflate(data: Uint8Array, limit: number): Uint8Array[] | null;
}
/** Where streams come from and go back to. */
export interface DeflateCodec {
  acquireDeflate(windowBits: number): RawDeflate;
  acquireInflate(windowBits: number): RawInflate;
  /**
   * Returns a stream whose context is no longer needed (no context takeover, a
   * failed message, or a closed connection). The codec resets it and may pool it
   * for any connection.
   */
  release(stream: RawDeflate | RawInflate): void;
}

export interface PerMessageDeflateOptions {
  /** Messages shorter than this are sent uncompressed. @default 1024 */
  threshold?: number;
  /**
   * Ask for (server) / offer (client) no context takeover on the server's side. @default true on servers, false on
   * clients
   */
  serverNoContextTakeover?: boolean;
  /** Ask for / offer no context takeover on the client's side. @default true on servers, false on clients */
  clientNoContextTakeover?: boolean;
  /** Largest LZ77 window the server's compressor may use, 8–15. @default 15 */
  serverMaxWindowBits?: number;
  /** Largest LZ77 window the client's compressor may use, 8–15. @default 15 */
  clientMaxWindowBits?: number;
}

/** The parameters both sides agreed on (RFC 7692 §7.1). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const PERMESSAGE_DEFLATE = 'permessage-deflate';
const TRAILER = [0x00, 0x00, 0xff, 0xff];
const WINDOW_BITS = /^(?:8|9|1[0-5])$/;
const KNOWN = new Set([
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
]);

/** Parses one offer or response; null when it has an unknown, duplicate or malformed parameter (§7.1). */
function parseParams(params: ExtensionParam[]): Map<string, string | true> | null {
  const seen = new Map<string, string | true>();
  for (const { name, value } of params) {
    if (!KNOWN.has(name) || seen.has(name)) return null;
    if (name.endsWith('context_takeover')) {
      if (value !== true) return null;
    } else if (value === true ? name === 'server_max_window_bits' : !WINDOW_BITS.test(value)) {
      // Window sizes are 8–15; only client_max_window_bits may come without one.
      return null;
    }
    seen.set(name, value);
  }
  return seen;
}

/** The parameter list of an offer or a response, in one order; an absent window size is left out. */
function formatParams(p: {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number | true;
}): ExtensionParam[] {
  const out: ExtensionParam[] = [];
  if (p.serverNoContextTakeover) out.push({ name: 'server_no_context_takeover', value: true });
  if (p.clientNoContextTakeover) out.push({ name: 'client_no_context_takeover', value: true });
  if (p.serverMaxWindowBits !== undefined)
    out.push({ name: 'server_max_window_bits', value: String(p.serverMaxWindowBits) });
  const client = p.clientMaxWindowBits;
  if (client !== undefined)
    out.push({ name: 'client_max_window_bits', value: client === true ? true : String(client) });
  return out;
}

function windowBitsOption(name: string, value: number | undefined): number {
  if (value === undefined) return 15;
  if (!(Number.isInteger(value) && value >= 8 && value <= 15)) {
    throw new SwitchboardError(
      ErrorCode.InvalidArgument,
      `perMessageDeflate.${name} must be an integer from 8 to 15, got ${value}`,
    );
  }
  return value;
}

interface ResolvedDeflateOptions {
  threshold: number;
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

function resolve(options: PerMessageDeflateOptions, role: Role): ResolvedDeflateOptions {
  const threshold = options.threshold ?? 1024;
  if (!(Number.isInteger(threshold) && threshold >= 0)) {
    throw new SwitchboardError(
      ErrorCode.InvalidArgument,
      `perMessageDeflate.threshold must be a non-negative integer, got ${threshold}`,
    );
  }
  // Servers default to no context takeover both ways: no zlib state per idle connection (docs/compression.md).
  const safe = role === 'server';
  return {
    threshold,
    serverNoContextTakeover: options.serverNoContextTakeover ?? safe,
    clientNoContextTakeover: options.clientNoContextTakeover ?? safe,
    serverMaxWindowBits: windowBitsOption('serverMaxWindowBits', options.serverMaxWindowBits),
    clientMaxWindowBits: windowBitsOption('clientMaxWindowBits', options.clientMaxWindowBits),
  };
}

/**
 * Server side of RFC 7692 negotiation: takes the first acceptable offer and
 * answers with what this server will do. `maxMessageSize` bounds inflation.
 */
export function serverPerMessageDeflate(
  options: PerMessageDeflateOptions,
  codec: DeflateCodec,
  maxMessageSize: number,
): ServerExtensionNegotiator {
  const o = resolve(options, 'server');
  return {
    name: PERMESSAGE_DEFLATE,
    negotiate(offers): AcceptedExtension | null {
      for (const offer of offers) {
        const p = parseParams(offer);
        if (!p) continue;
        const offeredClientBits = p.get('client_max_window_bits');
        // We may only limit the client's window if it said it can be limited (§7.1.2.2).
        if (o.clientMaxWindowBits < 15 && offeredClientBits === undefined) continue;
        const serverBits = Math.min(Number(p.get('server_max_window_bits') ?? 15), o.serverMaxWindowBits);
        const clientBits = Math.min(
          offeredClientBits === undefined || offeredClientBits === true ? 15 : Number(offeredClientBits),
          o.clientMaxWindowBits,
        );
        const params: DeflateParams = {
          serverNoContextTakeover: o.serverNoContextTakeover || p.has('server_no_context_takeover'),
          clientNoContextTakeover: o.clientNoContextTakeover || p.has('client_no_context_takeover'),
          serverMaxWindowBits: serverBits,
          clientMaxWindowBits: clientBits,
        };
        const response = formatParams({
          serverNoContextTakeover: params.serverNoContextTakeover,
          clientNoContextTakeover: params.clientNoContextTakeover,
          serverMaxWindowBits: serverBits < 15 || p.has('server_max_window_bits') ? serverBits : undefined,
          clientMaxWindowBits: offeredClientBits !== undefined && clientBits < 15 ? clientBits : undefined,
        });
        return { response, extension: new PerMessageDeflate('server', params, codec, o.threshold, maxMessageSize) };
      }
      return null;
    },
  };
}

/** Client side: offers what the options say (by default what browsers offer) and validates the answer (§7.1). */
export function clientPerMessageDeflate(
  options: PerMessageDeflateOptions,
  codec: DeflateCodec,
  maxMessageSize: number,
): ClientExtensionNegotiator {
  const o = resolve(options, 'client');
  return {
    name: PERMESSAGE_DEFLATE,
    offer() {
      return [
        formatParams({
          serverNoContextTakeover: o.serverNoContextTakeover,
          clientNoContextTakeover: o.clientNoContextTakeover,
          serverMaxWindowBits: o.serverMaxWindowBits < 15 ? o.serverMaxWindowBits : undefined,
          // Always offered, as browsers do: the server may then limit our window.
          clientMaxWindowBits: o.clientMaxWindowBits < 15 ? o.clientMaxWindowBits : true,
        }),
      ];
    },
    accept(response) {
      const p = parseParams(response);
      const clientBits = p?.get('client_max_window_bits');
      const serverBits = Number(p?.get('server_max_window_bits') ?? 15);
      if (
        !p ||
        clientBits === true ||
        Number(clientBits ?? 15) > o.clientMaxWindowBits ||
        (o.serverNoContextTakeover && !p.has('server_no_context_takeover')) ||
        serverBits > o.serverMaxWindowBits
      ) {
        throw new HandshakeError(ErrorCode.UnexpectedExtension, 101, 'unacceptable permessage-deflate response');
      }
      const params: DeflateParams = {
        serverNoContextTakeover: p.has('server_no_context_takeover'),
        clientNoContextTakeover: o.clientNoContextTakeover || p.has('client_no_context_takeover'),
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: Number(clientBits ?? o.clientMaxWindowBits),
      };
      return new PerMessageDeflate('client', params, codec, o.threshold, maxMessageSize);
    },
  };
}

/**
 * One connection's permessage-deflate (RFC 7692 §6): compresses outgoing data
 * messages above a threshold and inflates incoming ones with RSV1, stopping as
 * soon as the output passes `maxMessageSize` (1009). Streams are acquired lazily
 * and, without context takeover, released after every message, so an idle
 * connection holds no zlib memory.
 */
export class PerMessageDeflate implements Extension {
  readonly name = PERMESSAGE_DEFLATE;
  readonly rsv = Rsv.Rsv1;
  private deflate: RawDeflate | null = null;
  private inflate: RawInflate | null = null;
  private readonly sendBits: number;
  private readonly receiveBits: number;
  private readonly sendTakeover: boolean;
  private readonly receiveTakeover: boolean;
  /** Where a prepared frame keeps its compressed form for connections like this one (same window). */
  private readonly sharedKey: string;

  constructor(
    role: Role,
    readonly params: DeflateParams,
    private readonly codec: DeflateCodec,
    private readonly threshold: number,
    private readonly maxMessageSize: number,
  ) {
    const server = role === 'server';
    this.sendBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.receiveBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.sendTakeover = !(server ? params.serverNoContextTakeover : params.clientNoContextTakeover);
    this.receiveTakeover = !(server ? params.clientNoContextTakeover : params.serverNoContextTakeover);
    this.sharedKey = `deflate:${this.sendBits}`;
  }

  encode(payload: Uint8Array): { payload: Uint8Array; rsv: number } {
    if (payload.length < this.threshold) return { payload, rsv: 0 };
    const deflate = (this.deflate ??= this.codec.acquireDeflate(this.sendBits));
    let out = deflate.compress(payload);
    if (!this.sendTakeover) this.releaseDeflate();
    // §7.2.1: drop the 4-byte sync-flush trailer; the receiver appends it back. A flush
    // with nothing pending emits nothing, and then the message is one empty stored block,
    // which without its trailer is the single byte 0x00 (§7.2.3.6).
    if (endsWithTrailer(out)) out = out.subarray(0, out.length - 4);
    else if (out.length === 0) out = new Uint8Array(1);
    return { payload: out, rsv: Rsv.Rsv1 };
  }

  /**
   * A prepared message for many connections. Without context takeover on our
   * side every message is compressed on its own, so one compressed frame is
   * valid on every connection with the same window: it is made once, by the
   * first connection that sends it, and kept in the frame under `deflate:<bits>`.
   * With context takeover our stream's history must match the peer's, so the
   * message is compressed for this connection alone.
   */
  encodeShared(frame: PreparedFrame): Uint8Array | undefined {
    const { payload, binary = false } = frame;
    if (!payload || payload.length < this.threshold) return undefined;
    if (this.sendTakeover) return frameMessage(this.encode(payload).payload, binary, Rsv.Rsv1);
    const key = this.sharedKey;
    const cached = frame.shared?.get(key);
    if (cached) return cached;
    const encoded = frameMessage(this.encode(payload).payload, binary, Rsv.Rsv1);
    (frame.shared ??= new Map()).set(key, encoded);
    return encoded;
  }

  startDecode(rsv: number): MessageDecoder | null {
    if ((rsv & Rsv.Rsv1) === 0) return null;
    let produced = 0;
    let received = 0;
    return {
      push: (chunk, last) => {
        received += chunk.length;
        // A peer that sends an empty payload for an empty message: nothing to inflate, and
        // feeding the trailer alone would leave the inflater inside a stored-block header.
        if (last && received === 0) return [];
        const inflate = (this.inflate ??= this.codec.acquireInflate(this.receiveBits));
        const out: Uint8Array[] = [];
        const feed = (bytes: Uint8Array) => {
          let pieces: Uint8Array[] | null;
          try {
            // The codec stops the moment the message would pass the limit: a bomb never inflates further.
            pieces = inflate.inflate(bytes, this.maxMessageSize - produced);
          } catch {
            this.releaseInflate();
            throw new ProtocolError(
              ErrorCode.InvalidCompressedData,
              CloseCode.InvalidPayload,
              'invalid compressed data',
            );
          }
          if (pieces === null) {
            this.releaseInflate(); // mid-message state is useless now
            throw new ProtocolError(ErrorCode.MessageTooBig, CloseCode.MessageTooBig, 'message too big');
          }
          for (const piece of pieces) {
            produced += piece.length;
            out.push(piece);
          }
        };
        feed(chunk);
        if (last) {
          feed(new Uint8Array(TRAILER));
          if (!this.receiveTakeover) this.releaseInflate();
        }
        return out;
      },
    };
  }

  dispose(): void {
    this.releaseDeflate();
    this.releaseInflate();
  }

  private releaseDeflate(): void {
    if (this.deflate) this.codec.release(this.deflate);
    this.deflate = null;
  }

  private releaseInflate(): void {
    if (this.inflate) this.codec.release(this.inflate);
    this.inflate = null;
  }
}

function endsWithTrailer(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0 && b[n - 3] === 0 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}
