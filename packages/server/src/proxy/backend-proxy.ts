import type { IncomingHttpHeaders } from 'node:http';
import { ReplyErrorCode } from '@switchboard/wire';
import { CommandError, DisconnectError } from '../errors.js';
import type {
  ConnectingContext,
  ConnectingResult,
  Renewal,
  ServerHooks,
  SessionContext,
  SubscribeAnswer,
} from '../hooks.js';
import type { Logger } from '../logger.js';
import { ProxyClient, ProxyFailure } from './proxy-client.js';
import type { ChannelProxyEvent, ProxyEvent, ResolvedProxyOptions } from './proxy-options.js';

/** Does the channel's namespace take this event to the backend (namespace option `proxy`)? */
export type ProxiedChannel = (channel: string, event: ChannelProxyEvent) => boolean;

type Answer = Record<string, unknown>;

/**
 * The reply-error codes that are the application's (@switchboard/wire codes.ts): what a backend may pass to clients.
 */
const APPLICATION_ERRORS = { from: 400, to: 1999 } as const;

/**
 * The server's hooks, answered by the application's backend over HTTP: each
 * configured event becomes a JSON POST carrying the connection (client, user,
 * transport, remote address, the named headers and cookies) and the event's
 * fields. The backend answers `{result}`, `{error: {code 400–1999, message,
 * temporary?}}` (passed to the client) or `{disconnect: {code 4000–4999,
 * reason}}`. A timeout, a non-2xx status, an unreachable backend or a queue
 * that is full give 116 (temporary); an answer of another shape gives 100.
 */
export class BackendProxy {
  readonly client: ProxyClient;

  constructor(
    private readonly options: ResolvedProxyOptions,
    private readonly proxied: ProxiedChannel,
    private readonly log: Logger,
  ) {
    this.client = new ProxyClient(options.maxInFlight, options.maxQueued, options.staticHeaders);
  }

  /** The handshake headers forwarded to the backend: the named ones, and the named cookies only. */
  forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.options.headers) {
      const value = headers[name];
      if (value !== undefined && name !== 'cookie') out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (this.options.cookies.length > 0 && headers.cookie !== undefined) {
      const wanted = new Set(this.options.cookies);
      const kept = headers.cookie
        .split(';')
        .map((pair) => pair.trim())
        .filter((pair) => wanted.has(pair.slice(0, pair.indexOf('='))));
      if (kept.length > 0) out.cookie = kept.join('; ');
    }
    return out;
  }

  /**
   * Hooks for the configured events, on top of `base`; an event may have a hook or a proxy, not both (RPC: named
   * handlers first).
   */
  hooks(base: ServerHooks): ServerHooks {
    const has = (event: ProxyEvent) => this.options.endpoints[event] !== undefined;
    const clash = (event: ProxyEvent, hook: keyof ServerHooks) => {
      if (has(event) && base[hook])
        throw new TypeError(`Switchboard server: proxy.${event} and hooks.${hook} are both set; choose one`);
    };
    clash('connect', 'onConnecting');
    clash('refresh', 'onRefresh');
    clash('refresh', 'onCredentialsExpired');
    clash('subscribe', 'onSubscribe');
    clash('publish', 'onPublish');
    clash('rpc', 'onAnyRpc');
    clash('sub_refresh', 'onSubscriptionExpired');
    const hooks: ServerHooks = { ...base };
    if (has('connect')) hooks.onConnecting = (ctx) => this.connect(ctx);
    if (has('refresh')) {
      hooks.onCredentialsExpired = (ctx) => this.renew('refresh', ctx, {});
      hooks.onRefresh = async (ctx, token) => (await this.renew('refresh', ctx, { token })) ?? this.ended();
    }
    if (has('subscribe')) hooks.onSubscribe = (ctx, sub) => this.subscribe(ctx, sub);
    if (has('publish')) hooks.onPublish = (ctx, pub) => this.publish(ctx, pub);
    if (has('rpc'))
      hooks.onAnyRpc = async (ctx, method, data) => (await this.call('rpc', sessionFields(ctx), { method, data })).data;
    if (has('sub_refresh')) {
      hooks.onSubscriptionExpired = (ctx, sub) =>
        this.proxied(sub.channel, 'sub_refresh') ? this.renew('sub_refresh', ctx, { channel: sub.channel }) : null;
    }
    return hooks;
  }

  close(): void {
    this.client.close();
  }

  private async connect(ctx: ConnectingContext): Promise<ConnectingResult> {
    const result = await this.call(
      'connect',
      {
        client: ctx.clientId,
        user: '',
        transport: ctx.transport,
        remoteAddress: ctx.remoteAddress,
        headers: this.forwardedHeaders(ctx.headers),
      },
      { token: ctx.token, data: ctx.data, name: ctx.name, version: ctx.version },
    );
    const { user, info, channels, expiresAt, permissions } = result;
    if (typeof user !== 'string') throw this.invalid('connect', 'result.user must be a string');
    if (channels !== undefined && !(Array.isArray(channels) && channels.every((c) => typeof c === 'string')))
      throw this.invalid('connect', 'result.channels must be a list of names');
    return {
      userId: user,
      connInfo: info,
      channels: channels as string[] | undefined,
      expiresAt: this.expiry('connect', expiresAt),
      permissions: permissions as ConnectingResult['permissions'],
    };
  }

  private async subscribe(
    ctx: SessionContext,
    sub: { channel: string; token?: string },
  ): Promise<SubscribeAnswer | void> {
    if (!this.proxied(sub.channel, 'subscribe')) return;
    const result = await this.call('subscribe', sessionFields(ctx), { channel: sub.channel, token: sub.token });
    return { info: result.info, expiresAt: this.expiry('subscribe', result.expiresAt) };
  }

  private async publish(
    ctx: SessionContext,
    pub: { channel: string; data: unknown },
  ): Promise<{ data: unknown } | void> {
    if (!this.proxied(pub.channel, 'publish')) return;
    const result = await this.call('publish', sessionFields(ctx), { channel: pub.channel, data: pub.data });
    // Absent `data`: publish as sent; present: the backend's rewrite.
    return Object.hasOwn(result, 'data') ? { data: result.data } : undefined;
  }

  /** `refresh` and `sub_refresh`: `{expiresAt}` extends, `{expired: true}` ends. */
  private async renew(event: 'refresh' | 'sub_refresh', ctx: SessionContext, fields: object): Promise<Renewal> {
    const result = await this.call(event, sessionFields(ctx), fields);
    if (result.expired === true) return null;
    return { expiresAt: this.expiry(event, result.expiresAt) };
  }

  private ended(): never {
    throw new CommandError(ReplyErrorCode.TokenExpired, 'the backend ended the session');
  }

  private expiry(event: ProxyEvent, value: unknown): number | undefined {
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value)) throw this.invalid(event, 'result.expiresAt must be Unix ms');
    return value as number;
  }

  /** One request and its answer: the `result` object, or the documented error. */
  private async call(event: ProxyEvent, session: object, fields: object): Promise<Answer> {
    const endpoint = this.options.endpoints[event]!;
    let answer: Answer;
    try {
      answer = await this.client.post(endpoint, { event, ...session, ...fields });
    } catch (error) {
      if (!(error instanceof ProxyFailure)) throw error;
      this.log.warn(
        { event, outcome: error.kind, status: error.status, err: error.message, ...clientOf(session) },
        'backend proxy request failed',
      );
      throw new CommandError(
        ReplyErrorCode.BackendUnavailable,
        `backend unavailable: ${error.kind === 'status' ? `HTTP ${error.status}` : error.kind}`,
        true,
      );
    }
    if (isObject(answer.disconnect)) {
      const { code, reason } = answer.disconnect;
      if (!(Number.isSafeInteger(code) && (code as number) >= 4000 && (code as number) <= 4999))
        throw this.invalid(event, 'disconnect.code must be 4000–4999');
      throw new DisconnectError(
        code as number,
        typeof reason === 'string' ? reason.slice(0, 123) : 'disconnected by the backend',
      );
    }
    if (isObject(answer.error)) {
      const { code, message, temporary } = answer.error;
      const { from, to } = APPLICATION_ERRORS;
      if (!(Number.isSafeInteger(code) && (code as number) >= from && (code as number) <= to))
        throw this.invalid(event, `error.code must be ${from}–${to}`);
      throw new CommandError(
        code as number,
        typeof message === 'string' ? message : 'refused by the backend',
        temporary === true,
      );
    }
    if (answer.result === undefined) return {};
    if (!isObject(answer.result)) throw this.invalid(event, 'result must be an object');
    return answer.result;
  }

  private invalid(event: ProxyEvent, why: string): Error {
    this.log.warn({ event, outcome: 'invalid', err: why }, 'backend proxy answer refused');
    return new CommandError(ReplyErrorCode.Internal, 'internal error', true);
  }
}

/** What every request after `connect` carries about its connection. */
function sessionFields(ctx: SessionContext) {
  return {
    client: ctx.clientId,
    user: ctx.userId,
    transport: ctx.transportName,
    remoteAddress: ctx.remoteAddress,
    headers: ctx.headers ?? {},
  };
}

function clientOf(session: object) {
  const s = session as { client?: string; user?: string; transport?: string };
  return { clientId: s.client, user: s.user, transport: s.transport };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
