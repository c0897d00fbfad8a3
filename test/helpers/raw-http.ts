import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One HTTP/1.1 response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What one connection got: its responses, whether the server closed it, and whether it gave up waiting. */
export interface RawExchange {
  responses: RawResponse[];
  closedByServer: boolean;
  timedOut: boolean;
  ms: number;
}

/**
 * Sends `pieces` over one TCP connection (each after its delay) and reads until
 * `requests.length` responses have arrived, the server closes, or `timeoutMs`.
 * `requests` are the request methods in order (a HEAD response has no body).
 */
export async function rawExchange(
  port: number,
  pieces: { bytes: Buffer; delayMs: number }[],
  requests: string[],
  timeoutMs: number,
): Promise<RawExchange> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  let closedByServer = false;
  let settled = false;
  const result = new Promise<RawExchange>((resolve) => {
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        responses: parseResponses(received, requests, closedByServer),
        closedByServer,
        timedOut,
        ms: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseResponses(received, requests, false).length >= requests.length) finish(false);
    });
    socket.on('close', () => {
      closedByServer = !settled;
      finish(false);
    });
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve).once('close', resolve));
  for (const piece of pieces) {
    if (settled || socket.destroyed) break;
    if (piece.delayMs > 0) await sleep(piece.delayMs);
    if (!socket.destroyed) socket.write(piece.bytes);
  }
  return result;
}

/** Parses the complete responses in `data`; a response without a length ends at the close. */
export function parseResponses(data: Buffer, requests: string[], closed: boolean): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (out.length < requests.length) {
    const headEnd = data.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = data.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let start = headEnd + 4;
    if (status >= 100 && status < 200) {
      pos = start;
      continue;
    }
    let body: Buffer;
    if (requests[out.length]?.toUpperCase() === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', start);
        if (lineEnd < 0) return out;
        const size = parseInt(data.subarray(start, lineEnd).toString('latin1'), 16);
        if (data.length < lineEnd + 2 + size + 2) return out;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        start = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length < start + length) break;
      body = data.subarray(start, start + length);
      start += length;
    } else {
      if (!closed) break;
      body = data.subarray(start);
      start = data.length;
    }
    out.push({ status, headers, body });
    pos = start;
  }
  return out;
}
