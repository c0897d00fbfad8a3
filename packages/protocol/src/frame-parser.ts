import { ErrorCode, ProtocolError, protocolError } from './errors.js';
import { CloseCode } from './close-code.js';
import type { FrameHeader, Role } from './frame.js';
import { applyMaskKey, maskKeyOf } from './mask.js';
import { isControlOpcode, isKnownOpcode } from './opcode.js';

/** Receives what the parser finds; payload chunks arrive already unmasked. */
export interface FrameSink {
  /** `header` is reused for the next frame: read it, or keep it only until then. */
  onFrameHeader(header: FrameHeader): void;
  /** A slice of the current frame's payload; `last` marks its end. Zero-length frames get one empty chunk. */
  onFramePayload(chunk: Uint8Array, last: boolean): void;
}

export const ParserState = {
  Header: 'header',
  Length16: 'length-16',
  Length64: 'length-64',
  MaskKey: 'mask-key',
  Payload: 'payload',
  Failed: 'failed',
} as const;
export type ParserState = (typeof ParserState)[keyof typeof ParserState];

export interface FrameParserOptions {
  role: Role;
  /** RSV bits a negotiated extension has claimed; any other set bit → 1002. */
  allowedRsv: number;
  /** Frames longer than this fail with 1009 before any payload is read. */
  maxFrameLength: number;
}

const EMPTY = new Uint8Array(0);

/**
 * The frame-level state machine of RFC 6455 §5.2. Each state reads what it
 * needs and moves on; header bytes split across chunks are gathered in a small
 * scratch buffer, payload bytes are never copied (they are unmasked in place,
 * so `push` takes ownership of the buffer it is given).
 *
 * Idle memory: a parser holds numbers and its reused header, no typed array until
 * a header arrives split across chunks (a `new Uint8Array` each would cost a
 * backing store outside the JS heap per connection).
 */
export class FrameParser {
  state: ParserState = ParserState.Header;
  /** Header bytes split across chunks (up to 8), made the first time a header is split. */
  private scratch: Uint8Array | undefined;
  private scratchUsed = 0;
  /** The current frame's masking key, as `maskKeyOf` packs it. */
  private maskKey = 0;
  /** Reused for every frame: the sink may keep it until the next onFrameHeader. */
  private readonly header: FrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, length: 0 };
  private remaining = 0;
  private maskPhase = 0;

  constructor(
    private readonly options: FrameParserOptions,
    private readonly sink: FrameSink,
  ) {}

  /** Feeds bytes; throws ProtocolError on the first violation, after which all input is ignored. */
  push(data: Uint8Array): void {
    let pos = 0;
    try {
      while (pos < data.length) {
        switch (this.state) {
          case ParserState.Header:
            pos = this.readHeader(data, pos);
            break;
          case ParserState.Length16:
            pos = this.readLength16(data, pos);
            break;
          case ParserState.Length64:
            pos = this.readLength64(data, pos);
            break;
          case ParserState.MaskKey:
            pos = this.readMaskKey(data, pos);
            break;
          case ParserState.Payload:
            pos = this.readPayload(data, pos);
            break;
          case ParserState.Failed:
            return;
        }
      }
    } catch (error) {
      this.state = ParserState.Failed;
      throw error;
    }
  }

  /**
   * Copies up to `n` header bytes into scratch; returns how many it took (all `n` are there once `scratchUsed === n`).
   */
  private gather(data: Uint8Array, pos: number, n: number): number {
    const scratch = (this.scratch ??= new Uint8Array(8));
    const take = Math.min(n - this.scratchUsed, data.length - pos);
    for (let i = 0; i < take; i++) scratch[this.scratchUsed++] = data[pos + i];
    return take;
  }

  private readHeader(data: Uint8Array, pos: number): number {
    let b0: number;
    let b1: number;
    if (this.scratchUsed === 0 && data.length - pos >= 2) {
      b0 = data[pos];
      b1 = data[pos + 1];
      pos += 2;
    } else {
      pos += this.gather(data, pos, 2);
      if (this.scratchUsed < 2) return pos;
      b0 = this.scratch![0];
      b1 = this.scratch![1];
      this.scratchUsed = 0;
    }
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;

    if (!isKnownOpcode(opcode)) throw protocolError(ErrorCode.ReservedOpcode, 'reserved opcode');
    if ((rsv & ~this.options.allowedRsv) !== 0) throw protocolError(ErrorCode.ReservedBits, 'reserved bits set');
    if (isControlOpcode(opcode)) {
      if (!fin) throw protocolError(ErrorCode.FragmentedControlFrame, 'fragmented control frame');
      if (length7 > 125) throw protocolError(ErrorCode.ControlFrameTooLong, 'control frame too long');
      if (rsv !== 0) throw protocolError(ErrorCode.ReservedBits, 'reserved bits set on control frame');
    }
    // §5.1: clients mask, servers do not.
    if (this.options.role === 'server' && !masked) throw protocolError(ErrorCode.UnmaskedFrame, 'unmasked frame');
    if (this.options.role === 'client' && masked) throw protocolError(ErrorCode.MaskedFrame, 'masked frame');

    const header = this.header;
    header.fin = fin;
    header.rsv = rsv;
    header.opcode = opcode;
    header.masked = masked;
    header.length = length7;
    if (length7 === 126) this.state = ParserState.Length16;
    else if (length7 === 127) this.state = ParserState.Length64;
    else this.afterLength();
    return pos;
  }

  private readLength16(data: Uint8Array, pos: number): number {
    if (this.scratchUsed === 0 && data.length - pos >= 2) {
      this.header.length = (data[pos] << 8) | data[pos + 1];
      pos += 2;
    } else {
      pos += this.gather(data, pos, 2);
      if (this.scratchUsed < 2) return pos;
      this.scratchUsed = 0;
      this.header.length = (this.scratch![0] << 8) | this.scratch![1];
    }
    this.afterLength();
    return pos;
  }

  private readLength64(data: Uint8Array, pos: number): number {
    let s: Uint8Array;
    let at: number;
    if (this.scratchUsed === 0 && data.length - pos >= 8) {
      s = data;
      at = pos;
      pos += 8;
    } else {
      pos += this.gather(data, pos, 8);
      if (this.scratchUsed < 8) return pos;
      this.scratchUsed = 0;
      s = this.scratch!;
      at = 0;
    }
    const high = ((s[at] << 24) | (s[at + 1] << 16) | (s[at + 2] << 8) | s[at + 3]) >>> 0;
    const low = ((s[at + 4] << 24) | (s[at + 5] << 16) | (s[at + 6] << 8) | s[at + 7]) >>> 0;
    // §5.2: the most significant bit MUST be 0.
    if (high & 0x80000000) throw protocolError(ErrorCode.LengthTooLarge, 'invalid payload length');
    this.header.length = high > 0x1fffff ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + low;
    this.afterLength();
    return pos;
  }

  private afterLength(): void {
    if (this.header.length > this.options.maxFrameLength) {
      throw new ProtocolError(ErrorCode.MessageTooBig, CloseCode.MessageTooBig, 'message too big');
    }
    if (this.header.masked) this.state = ParserState.MaskKey;
    else this.startPayload();
  }

  private readMaskKey(data: Uint8Array, pos: number): number {
    if (this.scratchUsed === 0 && data.length - pos >= 4) {
      this.maskKey = maskKeyOf(data, pos);
      pos += 4;
    } else {
      pos += this.gather(data, pos, 4);
      if (this.scratchUsed < 4) return pos;
      this.scratchUsed = 0;
      this.maskKey = maskKeyOf(this.scratch!, 0);
    }
    this.startPayload();
    return pos;
  }

  private startPayload(): void {
    this.remaining = this.header.length;
    this.maskPhase = 0;
    this.sink.onFrameHeader(this.header);
    if (this.remaining === 0) {
      this.state = ParserState.Header;
      this.sink.onFramePayload(EMPTY, true);
    } else {
      this.state = ParserState.Payload;
    }
  }

  private readPayload(data: Uint8Array, pos: number): number {
    const take = Math.min(this.remaining, data.length - pos);
    const end = pos + take;
    if (this.header.masked) {
      applyMaskKey(data, this.maskKey, pos, end, this.maskPhase);
      this.maskPhase = (this.maskPhase + take) & 3;
    }
    this.remaining -= take;
    const last = this.remaining === 0;
    if (last) this.state = ParserState.Header;
    this.sink.onFramePayload(pos === 0 && end === data.length ? data : data.subarray(pos, end), last);
    return end;
  }
}
