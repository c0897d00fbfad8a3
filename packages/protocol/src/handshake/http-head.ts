import { ErrorCode, HandshakeError } from '../errors.js';

/** A parsed HTTP/1.x request or response head. Header names are lower-case; repeats are joined with ", ". */
export interface HttpRequestHead {
  method: string;
  target: string;
  version: string;
  headers: Map<string, string>;
}

export interface HttpResponseHead {
  version: string;
  status: number;
  statusText: string;
  headers: Map<string, string>;
}

/** What a head reader returns once the blank line is seen: the head and any bytes after it. */
export interface HeadResult<T> {
  head: T;
  rest: Uint8Array;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Collects bytes until the blank line that ends an HTTP/1.x head, failing as soon
 * as more than `maxHeaderBytes` are held without one (431). Bounded, incremental,
 * and independent of Node's HTTP parser so the core works over any duplex.
 */
export class HttpHeadReader<T> {
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** How far the terminator search has got, so re-scans start near the end. */
  private scanned = 0;

  constructor(
    private readonly parse: (text: string) => T,
    private readonly maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
  ) {}

  /** Returns the head once complete, else null. Throws HandshakeError on a bad or oversized head. */
  push(chunk: Uint8Array): HeadResult<T> | null {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const all = this.chunks.length === 1 ? chunk : concat(this.chunks, this.size);
    this.chunks = [all];
    const end = findHeadEnd(all, Math.max(0, this.scanned - 3));
    if (end < 0) {
      this.scanned = all.length;
      if (all.length > this.maxHeaderBytes) throw headTooLarge(this.maxHeaderBytes);
      return null;
    }
    if (end > this.maxHeaderBytes) throw headTooLarge(this.maxHeaderBytes);
    this.chunks = [];
    return { head: this.parse(latin1(all, end - 4)), rest: all.subarray(end) };
  }
}

function headTooLarge(limit: number): HandshakeError {
  return new HandshakeError(ErrorCode.HeadTooLarge, 431, `HTTP head exceeds ${limit} bytes`);
}

/** Index just past "\r\n\r\n", or -1. */
function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i + 4;
  }
  return -1;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const utf8 = new TextDecoder();

function latin1(bytes: Uint8Array, end: number): string {
  // The usual head is ASCII, which the native UTF-8 decoder turns into the same string faster.
  let any = 0;
  for (let i = 0; i < end; i++) any |= bytes[i];
  if (any < 0x80) return utf8.decode(bytes.subarray(0, end));
  let s = '';
  for (let i = 0; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

function malformed(message: string): HandshakeError {
  return new HandshakeError(ErrorCode.MalformedHttp, 400, message);
}

/** Token characters (RFC 9110 §5.6.2), by ASCII code. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;

/**
 * Optional white space around a value (RFC 9110 §5.5: SP and HTAB only). Trimming more, as `String.prototype.trim`
 * did, swallowed a bare LF or CR next to the value, where Node's parser (and a proxy) sees a line end: `X: \nOrigin: o`
 * was one header to us and two to them (found by test/http-head-differential.property.test.ts).
 */
function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * The header lines of `text` from `from` (-1: none), as split on CRLF. One scan per line, no
 * regular expressions or intermediate strings: names must be tokens, values are trimmed of SP and
 * HTAB and may not hold control characters other than HTAB.
 */
function parseHeaderLines(text: string, from: number): Map<string, string> {
  const headers = new Map<string, string>();
  for (let pos = from; pos >= 0; ) {
    const next = text.indexOf('\r\n', pos);
    const eol = next < 0 ? text.length : next;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw malformed('obsolete header line folding');
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon >= eol) throw malformed('malformed header line');
    let upper = false;
    for (let i = pos; i < colon; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || TOKEN_CHAR[c] === 0) throw malformed('malformed header line');
      if (c <= 90 && c >= 65) upper = true;
    }
    let start = colon + 1;
    let end = eol;
    while (start < end && isOws(text.charCodeAt(start))) start++;
    while (end > start && isOws(text.charCodeAt(end - 1))) end--;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) throw malformed('invalid character in header value');
    }
    const name = text.slice(pos, colon);
    const key = upper ? name.toLowerCase() : name;
    const value = text.slice(start, end);
    const prior = headers.get(key);
    if (prior !== undefined && key === 'host') throw malformed('duplicate Host header');
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
    pos = next < 0 ? -1 : next + 2;
  }
  return headers;
}

/** A request-target: not empty, and no control character, SP or DEL. */
function isTarget(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return target !== '';
}

/** The first line of a head, and where its header lines start (-1: there are none). */
function firstLine(text: string): [line: string, rest: number] {
  const eol = text.indexOf('\r\n');
  return eol < 0 ? [text, -1] : [text.slice(0, eol), eol + 2];
}

export function parseRequestHead(text: string): HttpRequestHead {
  const [line, rest] = firstLine(text);
  const parts = line.split(' ');
  // The target may hold no control character (RFC 9112 §3.2: no CTL in any request-target form; Node refuses them too).
  if (parts.length !== 3 || !TOKEN.test(parts[0]) || !isTarget(parts[1]) || !/^HTTP\/\d\.\d$/.test(parts[2])) {
    throw malformed('malformed request line');
  }
  return { method: parts[0], target: parts[1], version: parts[2], headers: parseHeaderLines(text, rest) };
}

export function parseResponseHead(text: string): HttpResponseHead {
  const [line, rest] = firstLine(text);
  const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
  if (!match) throw malformed('malformed status line');
  return {
    version: match[1],
    status: Number(match[2]),
    statusText: match[3] ?? '',
    headers: parseHeaderLines(text, rest),
  };
}

/** Splits a comma-separated header into trimmed, non-empty elements (RFC 9110 §5.6.1). */
export function headerList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Does a token list contain `token`, case-insensitively? */
export function hasToken(value: string | undefined, token: string): boolean {
  // The usual case, the token alone: a list of the same length could not hold it with anything else.
  if (value !== undefined && value.length === token.length) return value.toLowerCase() === token;
  return headerList(value).some((v) => v.toLowerCase() === token);
}

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}
