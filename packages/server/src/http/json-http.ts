import type { IncomingMessage, ServerResponse } from 'node:http';
import { JsonBytes, ReplyErrorCode } from '@switchboard/wire';

/** An HTTP API failure: the status, and a body code from the reply-error space (docs/server-api.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Bounds on one request body. */
export interface BodyLimits {
  /** Largest body in bytes: 413 beyond. */
  maxBytes: number;
  /** The whole body must arrive within this many ms of the head: 408 after (a slow or stalled sender). */
  timeoutMs: number;
}

/**
 * Reads a JSON object body within `limits`: 413 when it is too large, 408 when
 * it is too slow, 400 when it is not a JSON object or the sender gives up.
 * Rejects on the first failure and stops reading (see `bodyUnread`).
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<Record<string, unknown>> {
  return parseObject(await readBody(req, limits));
}

/**
 * Reads a body's bytes within `limits`: 413 when it is too large, 408 when it is too slow, 400 when the sender gives
 * up.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes, timeoutMs } = limits;
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => fail(new ApiError(408, ReplyErrorCode.Timeout, `body not received within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    // 'aborted' / 'error': the sender went away mid-body; nobody will read the answer.
    const onAbort = () => fail(new ApiError(400, ReplyErrorCode.BadRequest, 'request body aborted'));
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('aborted', onAbort).off('error', onAbort);
    };
    const fail = (error: ApiError) => {
      done();
      req.pause();
      reject(error);
    };
    req.on('data', onData).on('end', onEnd).on('aborted', onAbort).on('error', onAbort);
  });
}

/**
 * Whether part of the request body is still unread. Answering then must close
 * the connection: Node would otherwise read and discard the rest to reuse it,
 * at the sender's pace (a slow body sent to a refused request would hold it).
 */
export function bodyUnread(req: IncomingMessage): boolean {
  const hasBody = Number(req.headers['content-length']) > 0 || req.headers['transfer-encoding'] !== undefined;
  return hasBody && !req.complete;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, ReplyErrorCode.LimitExceeded, `body over ${maxBytes} bytes`);
}

function parseObject(bytes: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = bytes.length === 0 ? {} : JsonBytes.parse(bytes.toString('utf8'));
  } catch {
    throw new ApiError(400, ReplyErrorCode.BadRequest, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array)
    throw new ApiError(400, ReplyErrorCode.BadRequest, 'body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Answers with a JSON body; closes the connection when the request body is not read to its end (`bodyUnread`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JsonBytes.stringify(body);
  const close = bodyUnread(res.req) ? { connection: 'close' } : {};
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...close,
    ...headers,
  });
  res.end(text);
}

/** Field readers that answer 400 naming the field. */
export const field = {
  string(body: Record<string, unknown>, key: string): string {
    const v = body[key];
    if (typeof v !== 'string' || v.length === 0)
      throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" must be a non-empty string`);
    return v;
  },
  optionalString(body: Record<string, unknown>, key: string): string | undefined {
    return body[key] === undefined ? undefined : field.string(body, key);
  },
  optionalInteger(body: Record<string, unknown>, key: string, min: number): number | undefined {
    const v = body[key];
    if (v === undefined) return undefined;
    if (!Number.isSafeInteger(v) || (v as number) < min)
      throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" must be an integer ≥ ${min}`);
    return v as number;
  },
  required(body: Record<string, unknown>, key: string): unknown {
    if (!(key in body)) throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" is required`);
    return body[key];
  },
};
