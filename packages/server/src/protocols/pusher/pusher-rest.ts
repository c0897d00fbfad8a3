import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyUnread, readBody, type BodyLimits } from '../../http/json-http.js';
import type { Logger } from '../../logger.js';
import type { PusherApp } from './pusher-app.js';
import type { PusherChannel } from './pusher-channels.js';
import { memberOf, TERMINATE_EVENT, type PusherEnvelope } from './pusher-codec.js';
import { PusherRestError, rawQuery, verifyRequest } from './pusher-request-auth.js';

const SOCKET_ID = /^\d+\.\d+$/;
type Json = Record<string, unknown>;

/**
 * Pusher's HTTP API under `/apps/{id}/`: events and batches, channel listing and
 * info, presence users, terminating a user's connections. Every request is
 * signed (`verifyRequest`); answers and errors are as Pusher gives them (JSON
 * bodies, text errors with 400, 401, 403, 404, 413).
 */
export class PusherRest {
  constructor(
    private readonly apps: ReadonlyMap<string, PusherApp>,
    private readonly body: BodyLimits,
    private readonly log: Logger,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      const [, , id, ...rest] = path.split('/');
      const app = this.apps.get(id);
      if (!app) throw new PusherRestError(404, `Unknown app ${id}`);
      const running = app.running;
      if (!running) throw new PusherRestError(403, 'App not running yet');
      const method = req.method ?? 'GET';
      const body =
        method === 'POST'
          ? await readBody(req, this.body).catch((error: { status?: number; message: string }) =>
              Promise.reject(new PusherRestError(error.status === 413 ? 413 : 400, error.message)),
            )
          : Buffer.alloc(0);
      const query = rawQuery(req.url ?? '');
      verifyRequest(app.options, method, path, query, body, Math.floor(Date.now() / 1000));
      const json = body.length === 0 ? {} : parseBody(body);
      const answer = await this.route(app, method, rest, json, query);
      send(res, 200, JSON.stringify(answer), 'application/json');
    } catch (error) {
      if (error instanceof PusherRestError) return send(res, error.status, `${error.message}\n`, 'text/plain');
      const status = (error as { replyCode?: number }).replyCode === 107 ? 400 : 500;
      if (status === 500) this.log.error({ err: error, path }, 'Pusher REST request failed');
      send(res, status, status === 400 ? `${(error as Error).message}\n` : 'Internal error\n', 'text/plain');
    }
  }

  private async route(
    app: PusherApp,
    method: string,
    rest: string[],
    body: Json,
    query: Map<string, string>,
  ): Promise<unknown> {
    const route = `${method} ${rest[0]}${rest.length > 1 ? '/*' : ''}${rest.length > 2 ? `/${rest[2]}` : ''}`;
    switch (route) {
      case 'POST events':
        return this.trigger(app, body);
      case 'POST batch_events': {
        const batch = body.batch;
        if (!Array.isArray(batch)) throw new PusherRestError(400, 'batch must be an array');
        if (batch.length > app.options.maxBatch)
          throw new PusherRestError(400, `Batch too large: at most ${app.options.maxBatch} events`);
        // Checked whole before any is published: a bad event fails the batch.
        const events = batch.map((event: Json) => this.event(app, { ...event, channels: [event.channel] }));
        const answers = [];
        for (const event of events) answers.push(await this.publish(app, event));
        return events.some((e) => e.info.length > 0) ? { batch: answers.map((a) => Object.values(a)[0] ?? {}) } : {};
      }
      case 'GET channels':
        return this.list(app, query);
      case 'GET channels/*':
        return this.channelInfo(app, channelOf(app, rest[1]), infoOf(query.get('info')));
      case 'GET channels/*/users': {
        const channel = channelOf(app, rest[1]);
        if (channel.kind !== 'presence') throw new PusherRestError(400, 'users are listed for presence channels only');
        return { users: (await this.users(app, channel)).map((id) => ({ id })) };
      }
      case 'POST users/*/terminate_connections': {
        const channel = channelOf(app, `#server-to-user-${decodeURIComponent(rest[1])}`);
        await app.running!.service.publish(channel.internal, { e: TERMINATE_EVENT, d: {} } satisfies PusherEnvelope);
        return {};
      }
      default:
        throw new PusherRestError(404, `Not found: ${method} /apps/${app.options.id}/${rest.join('/')}`);
    }
  }

  private trigger(app: PusherApp, body: Json): Promise<unknown> {
    const event = this.event(app, body.channels === undefined ? { ...body, channels: [body.channel] } : body);
    return this.publish(app, event).then((channels) => (event.info.length > 0 ? { channels } : {}));
  }

  /** One event, checked: name, data size, channels and socket_id. */
  private event(
    app: PusherApp,
    body: Json,
  ): { name: string; data: string; channels: PusherChannel[]; socketId?: string; info: string[] } {
    const { maxEventBytes, maxChannelsPerEvent } = app.options;
    const { name, data, channels, socket_id: socketId } = body;
    if (typeof name !== 'string' || name === '' || name.length > 200)
      throw new PusherRestError(400, 'name must be a string of 1–200 characters');
    if (typeof data !== 'string') throw new PusherRestError(400, 'data must be a string');
    if (Buffer.byteLength(data) > maxEventBytes)
      throw new PusherRestError(413, `Payload too large: data is over ${maxEventBytes} bytes`);
    if (!Array.isArray(channels) || channels.length === 0)
      throw new PusherRestError(400, 'channels must be a non-empty array');
    if (channels.length > maxChannelsPerEvent)
      throw new PusherRestError(400, `at most ${maxChannelsPerEvent} channels per event`);
    if (socketId !== undefined && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)))
      throw new PusherRestError(400, 'socket_id must be of the form 123.456');
    return { name, data, channels: channels.map((c) => channelOf(app, c)), socketId, info: infoOf(body.info) };
  }

  /** Publishes to each channel; with `info`, answers each channel's counts after it. */
  private async publish(app: PusherApp, event: ReturnType<PusherRest['event']>): Promise<Record<string, Json>> {
    const envelope: PusherEnvelope =
      event.socketId === undefined
        ? { e: event.name, d: event.data }
        : { e: event.name, d: event.data, x: event.socketId };
    await Promise.all(event.channels.map((c) => app.running!.service.publish(c.internal, envelope)));
    if (event.info.length === 0) return {};
    const answers = await Promise.all(
      event.channels.map(async (c) => [c.name, await this.counts(app, c, event.info)] as const),
    );
    return Object.fromEntries(answers);
  }

  private async list(app: PusherApp, query: Map<string, string>): Promise<unknown> {
    const prefix = decodeURIComponent(query.get('filter_by_prefix') ?? '');
    const info = infoOf(query.get('info'));
    if (info.includes('user_count') && !prefix.startsWith('presence-'))
      throw new PusherRestError(400, 'user_count needs filter_by_prefix=presence-');
    const totals = new Map<string, number>();
    for (const answer of (await app.running!.node.cluster.survey('channels')).values()) {
      for (const [internal, count] of Object.entries(answer as Record<string, number>)) {
        const name = app.channels.nameOf(internal);
        if (name?.startsWith(prefix) && !name.startsWith('#')) totals.set(name, (totals.get(name) ?? 0) + count);
      }
    }
    const channels: Record<string, Json> = {};
    for (const [name, count] of [...totals].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const entry: Json = {};
      if (info.includes('subscription_count')) entry.subscription_count = count;
      if (info.includes('user_count')) entry.user_count = (await this.users(app, channelOf(app, name))).length;
      channels[name] = entry;
    }
    return { channels };
  }

  private async channelInfo(app: PusherApp, channel: PusherChannel, info: string[]): Promise<unknown> {
    const counts = await this.counts(app, channel, ['subscription_count', ...info]);
    return {
      occupied: (counts.subscription_count as number) > 0,
      ...(info.includes('subscription_count') ? { subscription_count: counts.subscription_count } : {}),
      ...(info.includes('user_count') ? { user_count: counts.user_count } : {}),
    };
  }

  /** Subscriptions across the cluster (the presence store's count of entries) and, on presence channels, users. */
  private async counts(app: PusherApp, channel: PusherChannel, info: string[]): Promise<Json> {
    if (info.includes('user_count') && channel.kind !== 'presence')
      throw new PusherRestError(400, 'user_count is for presence channels only');
    const service = app.running!.service;
    const counts: Json = {};
    if (info.includes('subscription_count'))
      counts.subscription_count = channel.kind === 'user' ? 0 : (await service.presenceStats(channel.internal)).clients;
    if (info.includes('user_count')) counts.user_count = (await this.users(app, channel)).length;
    return counts;
  }

  private async users(app: PusherApp, channel: PusherChannel): Promise<string[]> {
    const entries = await app.running!.service.presence(channel.internal);
    return [...new Set(entries.map((e) => memberOf(e)?.user_id).filter((id): id is string => id !== undefined))];
  }
}

function channelOf(app: PusherApp, name: unknown): PusherChannel {
  const channel = app.channels.parse(typeof name === 'string' ? decodeURIComponentSafe(name) : name);
  if (!channel) throw new PusherRestError(400, `Invalid channel name ${String(name)}`);
  return channel;
}

function infoOf(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') throw new PusherRestError(400, 'info must be a comma-separated string');
  return decodeURIComponentSafe(value).split(',');
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PusherRestError(400, 'malformed percent-encoding');
  }
}

function parseBody(body: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PusherRestError(400, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PusherRestError(400, 'body must be a JSON object');
  return value as Json;
}

function send(res: ServerResponse, status: number, text: string, type: string): void {
  const close = bodyUnread(res.req) ? { connection: 'close' } : {};
  res
    .writeHead(status, {
      'content-type': `${type}; charset=utf-8`,
      'content-length': Buffer.byteLength(text),
      ...close,
    })
    .end(text);
}
