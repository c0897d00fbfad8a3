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

/** Reads a JSON object body of at most `limit` bytes: 413 beyond, 400 when it is not a JSON object. Bytes are `{"$bytes": base64}` (JsonBytes), both ways. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new ApiError(413, ReplyErrorCode.LimitExceeded, `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, ReplyErrorCode.LimitExceeded, `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = size === 0 ? {} : JsonBytes.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, ReplyErrorCode.BadRequest, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) throw new ApiError(400, ReplyErrorCode.BadRequest, 'body must be a JSON object');
  return body as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JsonBytes.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Field readers that answer 400 naming the field. */
export const field = {
  string(body: Record<string, unknown>, key: string): string {
    const v = body[key];
    if (typeof v !== 'string' || v.length === 0) throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" must be a non-empty string`);
    return v;
  },
  optionalString(body: Record<string, unknown>, key: string): string | undefined {
    return body[key] === undefined ? undefined : field.string(body, key);
  },
  optionalInteger(body: Record<string, unknown>, key: string, min: number): number | undefined {
    const v = body[key];
    if (v === undefined) return undefined;
    if (!Number.isSafeInteger(v) || (v as number) < min) throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" must be an integer ≥ ${min}`);
    return v as number;
  },
  required(body: Record<string, unknown>, key: string): unknown {
    if (!(key in body)) throw new ApiError(400, ReplyErrorCode.BadRequest, `"${key}" is required`);
    return body[key];
  },
};
