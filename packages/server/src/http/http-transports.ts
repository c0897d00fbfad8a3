import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControlRequestError, ControlRequestErrorCode, EngineUnavailableError } from '@switchboard/engine';
import type { Codec, StreamPosition } from '@switchboard/wire';
import type { ConnectionRequest } from '../auth/identity.js';
import type { OriginCheck } from '../auth/origin-policy.js';
import { decodeEventId } from '../transports/event-id.js';
import { answer, HttpSessions, MAX_POLL_WAIT_MS, UpstreamError, type UpstreamAnswer } from '../transports/http-sessions.js';
import { PollTransport } from '../transports/poll-transport.js';
import { SseTransport } from '../transports/sse-transport.js';
import { StreamTransport, type StreamFormat } from '../transports/stream-transport.js';
import type { Transport } from '../transports/transport.js';
import { ApiError, field, readJsonBody, sendJson, type BodyLimits } from './json-http.js';

/** The endpoints, under the server's `httpTransportsPath` prefix (docs/transports.md). */
export const HTTP_TRANSPORT_PATHS = {
  sse: '/sse',
  stream: '/stream',
  pollOpen: '/poll/open',
  poll: '/poll',
  emulation: '/emulation',
} as const;

/** The control-bus request type that carries upstream requests to the owning node. */
export const HTTP_CONTROL_TYPE = 'http-upstream';

/** What the endpoints need of their node. */
export interface HttpTransportServices {
  readonly nodeId: string;
  /** The JSON codec: the HTTP transports speak JSON only. */
  readonly codec: Codec;
  /** Opens a session over a transport (SwitchboardServer.open). */
  open(transport: Transport, request: ConnectionRequest): void;
  /** A request to another node over the control bus. */
  request(nodeId: string, payload: UpstreamPayload, timeoutMs: number): Promise<unknown>;
  /** Was this node ever heard of on the bus (gone since) — as opposed to never known? */
  knewNode(nodeId: string): boolean;
  readonly checkOrigin: OriginCheck | undefined;
  /** Limits on connect and upstream bodies: a command message at most, arriving within the API body timeout. */
  readonly body: BodyLimits;
  /** How long an upstream request waits for the owning node (plus the poll's wait). */
  readonly forwardTimeoutMs: number;
  /** How long a closed long-poll session keeps its last frames for the client. */
  readonly pollLingerMs: number;
  /** Counts an upstream request: `kind` emulation|poll, whether it was forwarded, and the HTTP status answered. */
  upstreamServed(kind: 'emulation' | 'poll', forwarded: boolean, status: number): void;
}

/** An upstream request as it travels to the owning node. */
export type UpstreamPayload = { op: 'emulation'; session: string; seq: number; data: string } | { op: 'poll'; session: string; cursor: number; waitMs: number };

/**
 * The sticky-free HTTP transports' endpoints. Session-opening requests (SSE,
 * HTTP streaming, long-poll open) make a session on this node; upstream
 * requests (commands, polls) name the owning node and are served here or
 * forwarded there with a control-bus request, so no load-balancer affinity is
 * needed. Every failure has a documented status and body code.
 */
export class HttpTransports {
  readonly sessions = new HttpSessions();

  constructor(private readonly services: HttpTransportServices) {}

  /** Serves `path` (already stripped of the prefix); false when it is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const method = req.method ?? 'GET';
    const route = (run: () => Promise<void> | void) => {
      Promise.resolve()
        .then(run)
        .catch((error: unknown) => {
          if (res.headersSent) return res.destroy();
          if (error instanceof ApiError) return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
          sendJson(res, 500, { error: { code: 100, message: 'internal error' } });
        });
      return true;
    };
    switch (path) {
      case HTTP_TRANSPORT_PATHS.sse:
        return method === 'GET' ? route(() => this.openSse(req, res)) : this.notAllowed(res, 'GET');
      case HTTP_TRANSPORT_PATHS.stream:
        return method === 'GET' || method === 'POST' ? route(() => this.openStream(req, res)) : this.notAllowed(res, 'GET, POST');
      case HTTP_TRANSPORT_PATHS.pollOpen:
        return method === 'POST' ? route(() => this.openPoll(req, res)) : this.notAllowed(res, 'POST');
      case HTTP_TRANSPORT_PATHS.emulation:
      case HTTP_TRANSPORT_PATHS.poll:
        return method === 'POST' ? route(() => this.upstream(req, res, path === HTTP_TRANSPORT_PATHS.poll ? 'poll' : 'emulation')) : this.notAllowed(res, 'POST');
      default:
        return false;
    }
  }

  /** Serves an upstream request for a session of this node (called locally or by the control bus). */
  serve(payload: unknown): Promise<UpstreamAnswer> | UpstreamAnswer {
    const p = payload as Partial<UpstreamPayload> | null;
    if (p?.op === 'emulation' && typeof p.session === 'string' && Number.isSafeInteger(p.seq) && typeof p.data === 'string') return this.sessions.upstream(p.session, p.seq!, p.data);
    if (p?.op === 'poll' && typeof p.session === 'string' && Number.isSafeInteger(p.cursor) && Number.isSafeInteger(p.waitMs)) return this.sessions.poll(p.session, p.cursor!, p.waitMs!);
    return answer.error(400, UpstreamError.BadRequest, 'malformed upstream request');
  }

  private notAllowed(res: ServerResponse, allow: string): true {
    sendJson(res, 405, { error: { code: UpstreamError.BadRequest, message: 'method not allowed' } }, { allow });
    return true;
  }

  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    const check = this.services.checkOrigin;
    if (check && !check(origin, { method: req.method ?? 'GET', target: req.url ?? '/', version: '1.1', headers: new Map([['host', req.headers.host ?? req.headers[':authority']?.toString() ?? '']]) })) {
      throw new ApiError(403, 103, 'origin not allowed');
    }
  }

  private request(req: IncomingMessage): ConnectionRequest {
    return { headers: req.headers, remoteAddress: req.socket?.remoteAddress, url: req.url ?? '/' };
  }

  /** `GET …/sse?channel=a&channel=b` (and `token`, or the JWT cookie): unidirectional SSE; `Last-Event-ID` (or `?lastEventId=`) resumes. */
  private openSse(req: IncomingMessage, res: ServerResponse): void {
    this.checkOrigin(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const channels = [...new Set(url.searchParams.getAll('channel'))];
    if (channels.length === 0) throw new ApiError(400, UpstreamError.BadRequest, 'name at least one channel: ?channel=…');
    if (channels.length > 100) throw new ApiError(400, UpstreamError.BadRequest, 'at most 100 channels');
    const lastEventId = (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
    let since: Map<string, StreamPosition> | undefined;
    if (lastEventId !== undefined && lastEventId !== '') {
      since = decodeEventId(lastEventId);
      if (!since) throw new ApiError(400, UpstreamError.BadRequest, 'Last-Event-ID is not a Switchboard event id');
    }
    const transport = new SseTransport(res, this.services.codec, req.socket?.remoteAddress, channels, since);
    this.services.open(transport, this.request(req));
    transport.start();
  }

  /** `POST …/stream` with a connect command as the body, or `GET …/stream?connect=<json>`; `?format=sse` or `Accept: text/event-stream` for SSE framing. */
  private async openStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkOrigin(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const connect = req.method === 'POST' ? await readJsonBody(req, this.services.body) : parseConnect(url.searchParams.get('connect'));
    const format: StreamFormat = url.searchParams.get('format') === 'sse' || (req.headers.accept ?? '').includes('text/event-stream') ? 'sse' : 'ndjson';
    const { id, token } = HttpSessions.newToken();
    const transport = new StreamTransport(res, this.services.codec, req.socket?.remoteAddress, format, id, token);
    this.sessions.add(transport);
    res.once('close', () => this.sessions.remove(id, transport));
    this.services.open(transport, this.request(req));
    transport.receive(Buffer.from(JSON.stringify(connect)));
  }

  /** `POST …/poll/open` with a connect command as the body: `{session, node}`; the connect reply is the first frame of the first poll. */
  private async openPoll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkOrigin(req);
    const connect = await readJsonBody(req, this.services.body);
    const { id, token } = HttpSessions.newToken();
    const transport = new PollTransport(this.services.codec, req.socket?.remoteAddress, id, token, () => this.sessions.remove(id, transport), this.services.pollLingerMs);
    this.sessions.add(transport);
    this.services.open(transport, this.request(req));
    transport.receive(Buffer.from(JSON.stringify(connect)));
    sendJson(res, 200, { session: token, node: this.services.nodeId });
  }

  /** `POST …/emulation {node, session, seq, data}` and `POST …/poll {node, session, cursor, waitMs}`: here or on the owning node. */
  private async upstream(req: IncomingMessage, res: ServerResponse, kind: 'emulation' | 'poll'): Promise<void> {
    let forwarded = false;
    let result: UpstreamAnswer;
    try {
      const body = await readJsonBody(req, this.services.body);
      const node = field.string(body, 'node');
      const session = field.string(body, 'session');
      let payload: UpstreamPayload;
      if (kind === 'emulation') {
        const seq = field.optionalInteger(body, 'seq', 1);
        if (seq === undefined) throw new ApiError(400, UpstreamError.BadRequest, '"seq" is required');
        const data = body.data;
        if (typeof data !== 'string' && (typeof data !== 'object' || data === null)) throw new ApiError(400, UpstreamError.BadRequest, '"data" must be a command, a list of commands, or their JSON text');
        payload = { op: 'emulation', session, seq, data: typeof data === 'string' ? data : JSON.stringify(data) };
      } else {
        const cursor = field.optionalInteger(body, 'cursor', 0) ?? 0;
        const waitMs = Math.min(field.optionalInteger(body, 'waitMs', 0) ?? 25_000, MAX_POLL_WAIT_MS);
        payload = { op: 'poll', session, cursor, waitMs };
      }
      forwarded = node !== this.services.nodeId;
      result = forwarded ? await this.forward(node, payload) : await this.serve(payload);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result = answer.error(error.status, error.code, error.message);
    }
    this.services.upstreamServed(kind, forwarded, result.status);
    if (!res.destroyed) sendJson(res, result.status, result.body);
  }

  private async forward(node: string, payload: UpstreamPayload): Promise<UpstreamAnswer> {
    const timeoutMs = this.services.forwardTimeoutMs + (payload.op === 'poll' ? payload.waitMs : 0);
    try {
      const result = (await this.services.request(node, payload, timeoutMs)) as UpstreamAnswer;
      if (typeof result?.status !== 'number') return answer.error(502, UpstreamError.Unavailable, 'malformed answer from the owning node');
      return result;
    } catch (error) {
      if (error instanceof ControlRequestError) {
        if (error.code === ControlRequestErrorCode.NoSuchNode) {
          return this.services.knewNode(node) ? answer.error(410, UpstreamError.OwnerGone, 'the session\'s node is gone: reconnect') : answer.error(404, UpstreamError.UnknownNode, 'unknown node');
        }
        if (error.code === ControlRequestErrorCode.Timeout) return answer.error(504, UpstreamError.Timeout, 'the session\'s node did not answer in time: retry with the same seq');
      }
      if (error instanceof EngineUnavailableError) return answer.error(503, UpstreamError.Unavailable, 'the cluster bus is unavailable: retry');
      return answer.error(502, UpstreamError.Unavailable, 'the session\'s node failed to answer');
    }
  }
}

function parseConnect(text: string | null): Record<string, unknown> {
  if (text === null) throw new ApiError(400, UpstreamError.BadRequest, 'a connect command is required: ?connect=<json>');
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError(400, UpstreamError.BadRequest, '"connect" must be a JSON connect command');
}
