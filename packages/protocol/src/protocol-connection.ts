import { ByteAccumulator } from './byte-accumulator.js';
import { CloseCode, isValidWireCloseCode } from './close-code.js';
import { encodeClosePayload, parseClosePayload } from './close-payload.js';
import { ErrorCode, ProtocolError, SwitchboardError, protocolError } from './errors.js';
import type { Extension, MessageDecoder } from './extension.js';
import type { Frame, FrameHeader, MaskSource, Role } from './frame.js';
import { FrameParser, type FrameParserOptions, type FrameSink } from './frame-parser.js';
import { serializeFrame, type PreparedFrame } from './frame-serializer.js';
import { Opcode, isControlOpcode } from './opcode.js';
import { Utf8Validator } from './utf8-validator.js';

export interface ProtocolConnectionOptions {
  role: Role;
  /** Largest message accepted, in bytes; larger → close 1009. @default 16 MiB (server), 64 MiB (client) */
  maxMessageSize?: number;
  /** Most frames one message may span; more → close 1009. @default 131072 */
  maxFragments?: number;
  /** Answer each ping with a pong carrying the same payload (§5.5.2). @default true */
  autoPong?: boolean;
  /** Masking keys for frames we send; required for clients, forbidden for servers (§5.3). */
  maskSource?: MaskSource;
  /** `bufferedAmount` above which `readPaused` turns true. @default 1 MiB */
  highWaterMark?: number;
  /** `bufferedAmount` at or below which `readPaused` turns false again. @default 256 KiB */
  lowWaterMark?: number;
  /** Negotiated extensions, in negotiation order; they claim RSV bits and transform data messages. @default [] */
  extensions?: readonly Extension[];
}

export const PROTOCOL_DEFAULTS = Object.freeze({
  serverMaxMessageSize: 16 * 1024 * 1024,
  clientMaxMessageSize: 64 * 1024 * 1024,
  maxFragments: 131072,
  autoPong: true,
  highWaterMark: 1024 * 1024,
  lowWaterMark: 256 * 1024,
});

export type ResolvedConnectionOptions = Required<Omit<ProtocolConnectionOptions, 'maskSource'>> & {
  maskSource: MaskSource | null;
};

const NO_EXTENSIONS: readonly Extension[] = Object.freeze([]);

/** Applies defaults and validates every option eagerly, naming the option at fault. Shells call it at construction. */
export function resolveConnectionOptions(options: ProtocolConnectionOptions): ResolvedConnectionOptions {
  if (options.role === 'client' && !options.maskSource) {
    throw new SwitchboardError(ErrorCode.InvalidArgument, 'maskSource is required for role "client"');
  }
  if (options.role === 'server' && options.maskSource) {
    throw new SwitchboardError(ErrorCode.InvalidArgument, 'maskSource must not be set for role "server"');
  }
  const highWaterMark = positive('highWaterMark', options.highWaterMark ?? PROTOCOL_DEFAULTS.highWaterMark);
  const lowWaterMark = options.lowWaterMark ?? Math.min(PROTOCOL_DEFAULTS.lowWaterMark, highWaterMark);
  if (!(Number.isInteger(lowWaterMark) && lowWaterMark >= 0 && lowWaterMark <= highWaterMark)) {
    throw new SwitchboardError(
      ErrorCode.InvalidArgument,
      'lowWaterMark must be an integer between 0 and highWaterMark',
    );
  }
  return {
    role: options.role,
    maskSource: options.maskSource ?? null,
    maxMessageSize: positive(
      'maxMessageSize',
      options.maxMessageSize ??
        (options.role === 'server' ? PROTOCOL_DEFAULTS.serverMaxMessageSize : PROTOCOL_DEFAULTS.clientMaxMessageSize),
    ),
    maxFragments: positive('maxFragments', options.maxFragments ?? PROTOCOL_DEFAULTS.maxFragments),
    autoPong: options.autoPong ?? PROTOCOL_DEFAULTS.autoPong,
    highWaterMark,
    lowWaterMark,
    extensions: options.extensions ?? NO_EXTENSIONS,
  };
}

/** What a connection keeps of its options; shared by every connection built from the same frozen options. */
interface Settings {
  options: ResolvedConnectionOptions;
  parser: FrameParserOptions;
}

/** Frozen options (a server's, shared by all its connections) are resolved once, not per connection. */
const sharedSettings = new WeakMap<ProtocolConnectionOptions, Settings>();

function settingsFor(options: ProtocolConnectionOptions): Settings {
  const frozen = Object.isFrozen(options);
  let settings = frozen ? sharedSettings.get(options) : undefined;
  if (!settings) {
    const o = resolveConnectionOptions(options);
    const allowedRsv = o.extensions.reduce((bits, e) => bits | e.rsv, 0);
    settings = { options: o, parser: { role: o.role, allowedRsv, maxFrameLength: o.maxMessageSize } };
    if (frozen) sharedSettings.set(options, settings);
  }
  return settings;
}

/** The frame header before the first frame arrives. */
const NO_FRAME: FrameHeader = Object.freeze({ fin: true, rsv: 0, opcode: 0, masked: false, length: 0 });

/** What the connection reports to its shell. */
export type ConnectionEvent =
  | { type: 'message'; data: Uint8Array; binary: boolean }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  /** The closing handshake completed: both close frames are exchanged. `code`/`reason` are the peer's. */
  | { type: 'close'; code: number; reason: string }
  /** We failed the connection (§7.1.7); a close frame with `error.closeCode` was sent if none had been. */
  | { type: 'fail'; error: ProtocolError };

export interface ConnectionHandler {
  onEvent(event: ConnectionEvent): void;
  /** Bytes for the wire, in order. The shell writes them and later reports them with `written()`. */
  onOutput(chunk: Uint8Array): void;
}

export const ConnectionState = { Open: 'open', Closing: 'closing', Closed: 'closed' } as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

export interface SendOptions {
  binary?: boolean;
  /** Let extensions transform this message (e.g. compress it). @default true */
  compress?: boolean;
  /** Split the message into frames of at most this many payload bytes. @default no splitting */
  fragmentSize?: number;
}

/**
 * One WebSocket endpoint after the opening handshake, without I/O (RFC 6455
 * §5–§7). Bytes go in through `receive`; events and bytes come out through the
 * handler. The shell owns the socket, the timers and when to close TCP.
 */
export class ProtocolConnection implements FrameSink {
  state: ConnectionState = ConnectionState.Open;
  /** Bytes handed to `onOutput` that the shell has not yet reported as written. */
  bufferedAmount = 0;
  /** True while the shell should stop reading: set above the high-water mark, cleared at the low one. */
  readPaused = false;
  closeSent = false;
  closeReceived = false;

  private readonly parser: FrameParser;
  /** Resolved options, shared with the other connections of a server (idle memory: one field, not seven). */
  private readonly o: ResolvedConnectionOptions;

  // The frame being received. The accumulators and the validator are made when first needed:
  // an idle connection holds none of them.
  private frame: FrameHeader = NO_FRAME;
  private frameReceived = 0;
  private control: ByteAccumulator | undefined;
  // The data message being assembled across frames.
  private inMessage = false;
  private messageBinary = false;
  private messageLength = 0;
  private fragments = 0;
  private utf8: Utf8Validator | undefined;
  private assembled: ByteAccumulator | undefined;
  /** Set while receiving a message an extension transforms (e.g. a compressed one). */
  private decoder: MessageDecoder | null = null;
  private decodedLength = 0;

  constructor(
    options: ProtocolConnectionOptions,
    private readonly handler: ConnectionHandler,
  ) {
    const settings = settingsFor(options);
    this.o = settings.options;
    this.parser = new FrameParser(settings.parser, this);
  }

  /** Feeds bytes from the wire. Takes ownership of `data` (payloads are unmasked in place). */
  receive(data: Uint8Array): void {
    if (this.state === ConnectionState.Closed) return;
    try {
      this.parser.push(data);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.fail(error);
        return;
      }
      // A throwing event handler: the rest of this input is lost, so the connection cannot go on.
      this.fail(new ProtocolError(ErrorCode.Internal, CloseCode.InternalError, 'internal error'));
      throw error;
    }
  }

  /** Frees extension state (pooled zlib streams); the shell calls it once the transport is gone. */
  dispose(): void {
    this.state = ConnectionState.Closed;
    for (const extension of this.o.extensions) extension.dispose();
  }

  /** Reports `n` bytes of earlier output as handed to the transport. */
  written(n: number): void {
    this.bufferedAmount = Math.max(0, this.bufferedAmount - n);
    if (this.readPaused && this.bufferedAmount <= this.o.lowWaterMark) this.readPaused = false;
  }

  send(data: Uint8Array, options: SendOptions = {}): void {
    this.assertCanSend();
    const size = options.fragmentSize;
    if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
      throw new SwitchboardError(ErrorCode.InvalidArgument, 'fragmentSize must be a positive integer');
    }
    const binary = options.binary ?? false;
    const opcode = binary ? Opcode.Binary : Opcode.Text;
    let rsv = 0;
    if (options.compress !== false)
      for (const extension of this.o.extensions) {
        const encoded = extension.encode(data, binary);
        data = encoded.payload;
        rsv |= encoded.rsv;
      }
    if (size === undefined || data.length <= size) {
      this.emitFrame({ fin: true, rsv, opcode, payload: data });
      return;
    }
    // RFC 7692 §6.1: the extension's RSV bits go on the first frame only.
    for (let at = 0; at < data.length; at += size) {
      const end = Math.min(at + size, data.length);
      this.emitFrame({
        fin: end === data.length,
        rsv: at === 0 ? rsv : 0,
        opcode: at === 0 ? opcode : Opcode.Continuation,
        payload: data.subarray(at, end),
      });
    }
  }

  /**
   * Writes a frame prepared once for many connections (server role only: client
   * frames must be masked per frame). An extension may swap in its shared
   * encoding (permessage-deflate: compressed once for every connection without
   * server context takeover); otherwise the prepared bytes go as they are, valid
   * with any negotiated extension since an uncompressed message needs no RSV bit.
   */
  sendPrepared(frame: PreparedFrame): void {
    this.assertCanSend();
    if (this.o.maskSource) throw new SwitchboardError(ErrorCode.InvalidState, 'prepared frames are for servers only');
    if (frame.transform !== false) {
      for (const extension of this.o.extensions) {
        const encoded = extension.encodeShared?.(frame);
        if (encoded) return this.output(encoded);
      }
    }
    this.output(frame.bytes);
  }

  ping(data: Uint8Array = EMPTY): void {
    this.assertCanSend();
    this.emitFrame({ fin: true, rsv: 0, opcode: Opcode.Ping, payload: controlPayload(data) });
  }

  pong(data: Uint8Array = EMPTY): void {
    this.assertCanSend();
    this.emitFrame({ fin: true, rsv: 0, opcode: Opcode.Pong, payload: controlPayload(data) });
  }

  /**
   * Starts (or answers) the closing handshake (§7.1.2). A no-op once a close
   * frame was sent. `code` must be sendable on the wire; omit it to send none.
   */
  close(code?: number, reason = ''): void {
    if (this.closeSent || this.state === ConnectionState.Closed) return;
    if (code !== undefined && !isValidWireCloseCode(code)) {
      throw new SwitchboardError(ErrorCode.InvalidArgument, `close code ${code} may not be sent`);
    }
    this.sendClose(code, reason);
    this.state = ConnectionState.Closing;
  }

  /** Fails the connection (§7.1.7): sends a close frame with the error's code if none was sent, then stops. */
  fail(error: ProtocolError): void {
    if (this.state === ConnectionState.Closed) return;
    if (!this.closeSent) this.sendClose(error.closeCode, error.reason);
    this.state = ConnectionState.Closed;
    this.handler.onEvent({ type: 'fail', error });
  }

  // --- FrameSink -----------------------------------------------------------

  onFrameHeader(header: FrameHeader): void {
    this.frame = header;
    this.frameReceived = 0;
    if (isControlOpcode(header.opcode)) return;
    if (header.opcode === Opcode.Continuation) {
      if (!this.inMessage) throw protocolError(ErrorCode.UnexpectedContinuation, 'continuation without a message');
      if (header.rsv !== 0) throw protocolError(ErrorCode.ReservedBits, 'reserved bits set on a continuation frame');
    } else {
      if (this.inMessage) throw protocolError(ErrorCode.ExpectedContinuation, 'expected a continuation frame');
      this.inMessage = true;
      this.messageBinary = header.opcode === Opcode.Binary;
      this.messageLength = 0;
      this.fragments = 0;
      if (!this.messageBinary) {
        if (this.utf8) this.utf8.reset();
        else this.utf8 = new Utf8Validator();
      }
      this.decoder = header.rsv === 0 ? null : this.startDecode(header.rsv);
      this.decodedLength = 0;
    }
    if (++this.fragments > this.o.maxFragments) {
      throw new ProtocolError(ErrorCode.TooManyFragments, CloseCode.MessageTooBig, 'too many fragments');
    }
    this.messageLength += header.length;
    if (this.messageLength > this.o.maxMessageSize) {
      throw new ProtocolError(ErrorCode.MessageTooBig, CloseCode.MessageTooBig, 'message too big');
    }
  }

  onFramePayload(chunk: Uint8Array, last: boolean): void {
    // After the peer's close frame nothing more is processed (§5.5.1).
    if (this.closeReceived) return;
    const frame = this.frame;
    if (isControlOpcode(frame.opcode)) {
      if (!last || (this.control !== undefined && this.control.length > 0)) {
        const control = (this.control ??= new ByteAccumulator());
        control.append(chunk, 125);
        if (!last) return;
        chunk = control.take();
      }
      this.onControlFrame(frame.opcode, chunk);
      return;
    }
    const end = last && frame.fin;
    if (this.decoder) {
      for (const decoded of this.decoder.push(chunk, end)) this.appendDecoded(decoded);
    } else {
      if (!this.messageBinary && !this.utf8!.update(chunk)) throw invalidUtf8();
      if (end && this.frameReceived === 0 && (this.assembled === undefined || this.assembled.length === 0)) {
        this.completeMessage(chunk); // zero-copy: the whole message arrived in one chunk
        return;
      }
      this.frameReceived += chunk.length;
      (this.assembled ??= new ByteAccumulator()).append(chunk, this.o.maxMessageSize);
    }
    if (end) this.completeMessage(this.assembled ? this.assembled.take() : new Uint8Array(0));
  }

  // --- internals -------------------------------------------------------------

  /** The last-negotiated extension that claims the bits decodes (receive runs in reverse order). */
  private startDecode(rsv: number): MessageDecoder {
    const extensions = this.o.extensions;
    for (let i = extensions.length - 1; i >= 0; i--) {
      const decoder = extensions[i].startDecode(rsv);
      if (decoder) return decoder;
    }
    throw protocolError(ErrorCode.ReservedBits, 'reserved bits set');
  }

  private appendDecoded(bytes: Uint8Array): void {
    this.decodedLength += bytes.length;
    if (this.decodedLength > this.o.maxMessageSize) {
      throw new ProtocolError(ErrorCode.MessageTooBig, CloseCode.MessageTooBig, 'message too big');
    }
    if (!this.messageBinary && !this.utf8!.update(bytes)) throw invalidUtf8();
    (this.assembled ??= new ByteAccumulator()).append(bytes, this.o.maxMessageSize);
  }

  private completeMessage(data: Uint8Array): void {
    if (!this.messageBinary && !this.utf8!.complete) throw invalidUtf8();
    this.inMessage = false;
    this.decoder = null;
    this.handler.onEvent({ type: 'message', data, binary: this.messageBinary });
  }

  private onControlFrame(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.Ping) {
      // Copy: the pong is queued for a later flush, and the payload aliases the caller's input buffer.
      const data = payload.slice();
      if (this.o.autoPong && !this.closeSent) {
        this.emitFrame({ fin: true, rsv: 0, opcode: Opcode.Pong, payload: data });
      }
      this.handler.onEvent({ type: 'ping', data });
    } else if (opcode === Opcode.Pong) {
      this.handler.onEvent({ type: 'pong', data: payload });
    } else {
      const { code, reason } = parseClosePayload(payload);
      this.closeReceived = true;
      // §5.5.1: answer with a close frame, echoing the status code received.
      if (!this.closeSent) this.sendClose(code === CloseCode.NoStatusReceived ? undefined : code, '');
      this.finish(code, reason);
    }
  }

  private finish(code: number, reason: string): void {
    this.state = ConnectionState.Closed;
    this.handler.onEvent({ type: 'close', code, reason });
  }

  private sendClose(code: number | undefined, reason: string): void {
    this.closeSent = true;
    this.emitFrame({ fin: true, rsv: 0, opcode: Opcode.Close, payload: encodeClosePayload(code, reason) });
  }

  private assertCanSend(): void {
    if (this.closeSent || this.state === ConnectionState.Closed) {
      throw new SwitchboardError(ErrorCode.InvalidState, 'cannot send after the closing handshake has started');
    }
  }

  private emitFrame(frame: Frame): void {
    for (const chunk of serializeFrame(frame, this.o.maskSource)) this.output(chunk);
  }

  /** Hands bytes to the shell, counting them until it reports them written. */
  private output(bytes: Uint8Array): void {
    this.bufferedAmount += bytes.length;
    this.handler.onOutput(bytes);
    if (this.bufferedAmount > this.o.highWaterMark) this.readPaused = true;
  }
}

const EMPTY = new Uint8Array(0);

function invalidUtf8(): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload, 'invalid UTF-8');
}

function controlPayload(data: Uint8Array): Uint8Array {
  if (data.length > 125) {
    throw new SwitchboardError(ErrorCode.InvalidArgument, 'control frame payloads are limited to 125 bytes');
  }
  return data;
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new SwitchboardError(ErrorCode.InvalidArgument, `${name} must be a positive integer, got ${value}`);
  }
  return value;
}
