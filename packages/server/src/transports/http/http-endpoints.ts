import type { IncomingMessage, ServerResponse } from 'node:http';
import { JsonBytes, ReplyErrorCode, type Command, type JsonCodec, type StreamPosition } from '@switchboard/wire';
import type { ConnectionRequest } from '../../auth/identity.js';
import type { OriginCheck } from '../../auth/origin-policy.js';
import { ApiError, field, readJsonBody, sendJson, type BodyLimits } from '../../http/json-http.js';
import { decodeEventId } from './event-id.js';
import { answer, HttpSessions, MAX_POLL_WAIT_MS, UpstreamError } from './http-sessions.js';
import { PollTransport } from './poll-transport.js';
import { SseTransport } from './sse-transport.js';
import { StreamTransport, type StreamFormat } from './stream-transport.js';
import { UpstreamForwarder, type Upstream } from './upstream-forwarder.js';
import type { UpstreamBus } from './upstream-requests.js';
import type { ProtocolHost } from '../transport.js';

/** The endpoints, under the server's `httpTransportsPath` prefix (docs/transports.md). */
const HTTP_TRANSPORT_PATHS = {
  sse: '/sse',
  stream: '/stream',
  pollOpen: '/poll/open',
  poll: '/poll',
  emulation: '/emulation',
} as const;

/** The most channels one unidirectional SSE stream may name. */
const MAX_SSE_CHANNELS = 100;

/** What the endpoints need of their node. */
export interface HttpEndpointServices {
  /** Opens sessions (the server). */
  readonly host: ProtocolHost;
  /** The JSON codec: the HTTP transports speak JSON only. */
  readonly codec: JsonCodec;
  /** The cluster leg: forwarded upstream requests, both ways. */
  readonly cluster: UpstreamBus;
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

/**
 * The HTTP transport family's endpoints. Session-opening requests (SSE, HTTP
 * streaming, long-poll open) make a session on this node; upstream requests
 * (commands, polls) name the owning node and are parsed here once, then served
 * here or forwarded there (`UpstreamForwarder`), so no load-balancer affinity is
 * needed. Every failure has a documented status and body code.
 */
export class HttpEndpoints {
  readonly sessions = new HttpSessions();
  private readonly forwarder: UpstreamForwarder;

  constructor(private readonly services: HttpEndpointServices) {
    this.forwarder = new UpstreamForwarder(
      services.host.nodeId,
      this.sessions,
      services.cluster,
      services.forwardTimeoutMs,
    );
  }

  /** Serves `path` (already stripped of the prefix); false when it is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const method = req.method ?? 'GET';
    const route = (run: () => Promise<void> | void) => {
      Promise.resolve()
        .then(run)
        .catch((error: unknown) => {
          if (res.headersSent) return res.destroy();
          if (error instanceof ApiError)
            return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
          sendJson(res, 500, { error: { code: ReplyErrorCode.Internal, message: 'internal error' } });
        });
      return true;
    };
    switch (path) {
      case HTTP_TRANSPORT_PATHS.sse:
        return method === 'GET' ? route(() => this.openSse(req, res)) : this.notAllowed(res, 'GET');
      case HTTP_TRANSPORT_PATHS.stream:
        return method === 'GET' || method === 'POST'
          ? route(() => this.openStream(req, res))
          : this.notAllowed(res, 'GET, POST');
      case HTTP_TRANSPORT_PATHS.pollOpen:
        return method === 'POST' ? route(() => this.openPoll(req, res)) : this.notAllowed(res, 'POST');
      case HTTP_TRANSPORT_PATHS.emulation:
      case HTTP_TRANSPORT_PATHS.poll:
        return method === 'POST'
          ? route(() => this.upstream(req, res, path === HTTP_TRANSPORT_PATHS.poll ? 'poll' : 'emulation'))
          : this.notAllowed(res, 'POST');
      default:
        return false;
    }
  }

  private notAllowed(res: ServerResponse, allow: string): true {
    sendJson(res, 405, { error: { code: UpstreamError.BadRequest, message: 'method not allowed' } }, { allow });
    return true;
  }

  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    const check = this.services.checkOrigin;
    if (
      check &&
      !check(origin, {
        method: req.method ?? 'GET',
        target: req.url ?? '/',
        version: '1.1',
        headers: new Map([['host', req.headers.host ?? req.headers[':authority']?.toString() ?? '']]),
      })
    ) {
      throw new ApiError(403, ReplyErrorCode.PermissionDenied, 'origin not allowed');
    }
  }

  private request(req: IncomingMessage): ConnectionRequest {
    return { headers: req.headers, remoteAddress: req.socket?.remoteAddress, url: req.url ?? '/' };
  }

  /**
   * `GET …/sse?channel=a&channel=b` (and `token`, or the JWT cookie): a unidirectional session, its
   * `connect` built from the request; `Last-Event-ID` (or `?lastEventId=`) resumes every channel.
   */
  private openSse(req: IncomingMessage, res: ServerResponse): void {
    this.checkOrigin(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const channels = [...new Set(url.searchParams.getAll('channel'))];
    if (channels.length === 0)
      throw new ApiError(400, UpstreamError.BadRequest, 'name at least one channel: ?channel=…');
    if (channels.length > MAX_SSE_CHANNELS)
      throw new ApiError(400, UpstreamError.BadRequest, `at most ${MAX_SSE_CHANNELS} channels`);
    const lastEventId =
      (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
    let since: Map<string, StreamPosition> | undefined;
    if (lastEventId !== undefined && lastEventId !== '') {
      since = decodeEventId(lastEventId);
      if (!since) throw new ApiError(400, UpstreamError.BadRequest, 'Last-Event-ID is not a Switchboard event id');
    }
    const subs = Object.fromEntries(channels.map((channel) => [channel, { since: since?.get(channel) }]));
    const connect: Command = { id: 1, method: 'connect', params: { subs } };
    this.services.host.open(
      new SseTransport(res, this.services.codec, req.socket?.remoteAddress, since),
      this.request(req),
      [connect],
    );
  }

  /**
   * `POST …/stream` with a connect command as the body, or `GET …/stream?connect=<json>`; `?format=sse` or
   * `Accept: text/event-stream` for SSE framing.
   */
  private async openStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkOrigin(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const connect =
      req.method === 'POST'
        ? await readJsonBody(req, this.services.body)
        : parseConnect(url.searchParams.get('connect'));
    const format: StreamFormat =
      url.searchParams.get('format') === 'sse' || (req.headers.accept ?? '').includes('text/event-stream')
        ? 'sse'
        : 'ndjson';
    const { id, token } = HttpSessions.newToken();
    const transport = new StreamTransport(res, this.services.codec, req.socket?.remoteAddress, format, id, token);
    this.sessions.add(transport);
    res.once('close', () => this.sessions.remove(id, transport));
    this.services.host.open(transport, this.request(req));
    transport.receive(connect);
  }

  /**
   * `POST …/poll/open` with a connect command as the body: `{session, node}`; the connect reply is the first frame of
   * the first poll.
   */
  private async openPoll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkOrigin(req);
    const connect = await readJsonBody(req, this.services.body);
    const { id, token } = HttpSessions.newToken();
    const transport = new PollTransport(
      this.services.codec,
      req.socket?.remoteAddress,
      id,
      token,
      () => this.sessions.remove(id, transport),
      this.services.pollLingerMs,
    );
    this.sessions.add(transport);
    this.services.host.open(transport, this.request(req));
    transport.receive(connect);
    sendJson(res, 200, { session: token, node: this.services.host.nodeId });
  }

  /**
   * `POST …/emulation {node, session, seq, data}` and `POST …/poll {node, session, cursor, waitMs}`: parsed once here,
   * served here or on the owning node.
   */
  private async upstream(req: IncomingMessage, res: ServerResponse, kind: 'emulation' | 'poll'): Promise<void> {
    let forwarded = false;
    let result;
    try {
      ({ answer: result, forwarded } = await this.forwarder.handle(await this.parseUpstream(req, kind)));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result = answer.error(error.status, error.code, error.message);
    }
    this.services.upstreamServed(kind, forwarded, result.status);
    if (!res.destroyed) sendJson(res, result.status, result.body);
  }

  private async parseUpstream(req: IncomingMessage, kind: 'emulation' | 'poll'): Promise<Upstream> {
    const body = await readJsonBody(req, this.services.body);
    const node = field.string(body, 'node');
    const session = field.string(body, 'session');
    if (kind === 'poll') {
      const cursor = field.optionalInteger(body, 'cursor', 0) ?? 0;
      const waitMs = Math.min(field.optionalInteger(body, 'waitMs', 0) ?? 25_000, MAX_POLL_WAIT_MS);
      return { type: 'http-poll', node, request: { session, cursor, waitMs } };
    }
    const seq = field.optionalInteger(body, 'seq', 1);
    if (seq === undefined) throw new ApiError(400, UpstreamError.BadRequest, '"seq" is required');
    return { type: 'http-commands', node, request: { session, seq, message: upstreamMessage(body.data) } };
  }
}

/** `data`: a command, a list of commands, or their JSON text (what a WebSocket frame would carry), parsed once. */
function upstreamMessage(data: unknown): unknown {
  if (typeof data === 'object' && data !== null) return data;
  if (typeof data !== 'string')
    throw new ApiError(
      400,
      UpstreamError.BadRequest,
      '"data" must be a command, a list of commands, or their JSON text',
    );
  try {
    return JsonBytes.parse(data);
  } catch {
    throw new ApiError(400, UpstreamError.BadRequest, '"data" is not valid JSON');
  }
}

function parseConnect(text: string | null): Record<string, unknown> {
  if (text === null)
    throw new ApiError(400, UpstreamError.BadRequest, 'a connect command is required: ?connect=<json>');
  try {
    const value = JsonBytes.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError(400, UpstreamError.BadRequest, '"connect" must be a JSON connect command');
}
