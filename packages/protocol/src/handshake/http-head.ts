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
const INVALID_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;

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

function latin1(bytes: Uint8Array, end: number): string {
  let s = '';
  for (let i = 0; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

function malformed(message: string): HandshakeError {
  return new HandshakeError(ErrorCode.MalformedHttp, 400, message);
}

function parseHeaderLines(lines: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith(' ') || line.startsWith('\t')) throw malformed('obsolete header line folding');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw malformed('malformed header line');
    const value = line.slice(colon + 1).trim();
    if (INVALID_VALUE.test(value)) throw malformed('invalid character in header value');
    const key = name.toLowerCase();
    const prior = headers.get(key);
    if (prior !== undefined && key === 'host') throw malformed('duplicate Host header');
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
  }
  return headers;
}

export function parseRequestHead(text: string): HttpRequestHead {
  const lines = text.split('\r\n');
  const parts = lines[0].split(' ');
  if (parts.length !== 3 || !TOKEN.test(parts[0]) || parts[1] === '' || !/^HTTP\/\d\.\d$/.test(parts[2])) {
    throw malformed('malformed request line');
  }
  return { method: parts[0], target: parts[1], version: parts[2], headers: parseHeaderLines(lines) };
}

export function parseResponseHead(text: string): HttpResponseHead {
  const lines = text.split('\r\n');
  const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!match) throw malformed('malformed status line');
  return {
    version: match[1],
    status: Number(match[2]),
    statusText: match[3] ?? '',
    headers: parseHeaderLines(lines),
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
