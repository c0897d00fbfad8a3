import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DisconnectCode, ReplyErrorCode, withReconnectAfter } from '@switchboard/wire';
import { toPublicationPush } from '../channels/publication-push.js';
import { CommandError, toReplyError } from '../errors.js';
import type { ServerCore } from '../server-core.js';
import { ApiError, field, readJsonBody, sendJson } from './json-http.js';

type Body = Record<string, unknown>;
type Endpoint = (core: ServerCore, body: Body) => Promise<unknown>;

/** Publishes as the backend: namespace rules for clients (allowPublish) do not apply. */
async function publish(core: ServerCore, channel: string, data: unknown, idempotencyKey: string | undefined) {
  const { options } = core.namespaces.resolve(channel);
  const { position } = await core.engine.broker.publish(channel, data, {
    history: options.history || undefined,
    idempotencyKey,
    idempotencyWindowMs: core.options.idempotencyWindowMs,
  });
  core.metrics.published(channel);
  return { offset: position.offset, epoch: position.epoch };
}

function position(body: Body) {
  const since = body.since as { offset?: unknown; epoch?: unknown } | undefined;
  if (since === undefined) return undefined;
  if (typeof since !== 'object' || since === null || !Number.isSafeInteger(since.offset) || typeof since.epoch !== 'string') {
    throw new ApiError(400, ReplyErrorCode.BadRequest, '"since" must be {offset, epoch}');
  }
  return { offset: since.offset as number, epoch: since.epoch };
}

/** The HTTP API for backends (docs/server-api.md): POST /api/<method> with a JSON object body. */
const ENDPOINTS: Record<string, Endpoint> = {
  publish: (core, body) => publish(core, field.string(body, 'channel'), field.required(body, 'data'), field.optionalString(body, 'idempotencyKey')),

  async broadcast(core, body) {
    const channels = body.channels;
    if (!Array.isArray(channels) || channels.length === 0 || channels.some((c) => typeof c !== 'string')) {
      throw new ApiError(400, ReplyErrorCode.BadRequest, '"channels" must be a non-empty array of channel names');
    }
    const data = field.required(body, 'data');
    const key = field.optionalString(body, 'idempotencyKey');
    const results = await Promise.all(
      (channels as string[]).map((channel) =>
        publish(core, channel, data, key).then(
          (r) => ({ channel, ...r }),
          (error: unknown) => ({ channel, error: toReplyError(error) }),
        ),
      ),
    );
    return { results };
  },

  async history(core, body) {
    const channel = field.string(body, 'channel');
    if (!core.namespaces.resolve(channel).options.history) throw new CommandError(ReplyErrorCode.NotAvailable, 'history is not enabled for this namespace');
    const read = await core.engine.broker.history(channel, {
      since: position(body),
      limit: field.optionalInteger(body, 'limit', -1),
      reverse: body.reverse === true,
    });
    if (read.gap) throw new CommandError(ReplyErrorCode.UnrecoverablePosition, 'history no longer continues from that position');
    return { publications: read.publications.map(toPublicationPush), position: read.position };
  },

  async history_remove(core, body) {
    const channel = field.string(body, 'channel');
    core.namespaces.resolve(channel);
    await core.engine.broker.removeHistory(channel);
    return {};
  },

  async presence(core, body) {
    const channel = field.string(body, 'channel');
    const { options } = core.namespaces.resolve(channel);
    if (!options.presence) throw new CommandError(ReplyErrorCode.NotAvailable, 'presence is not enabled for this namespace');
    if (options.presenceMode === 'counts') throw new CommandError(ReplyErrorCode.NotAvailable, 'the presence list is off (counts-only mode)');
    return { clients: await core.engine.presence.get(channel) };
  },

  async presence_stats(core, body) {
    const channel = field.string(body, 'channel');
    if (!core.namespaces.resolve(channel).options.presence) throw new CommandError(ReplyErrorCode.NotAvailable, 'presence is not enabled for this namespace');
    return core.engine.presence.stats(channel);
  },

  async channels(core) {
    const totals = new Map<string, number>();
    for (const answer of (await core.cluster.survey('channels')).values()) {
      for (const [name, count] of Object.entries(answer as Record<string, number>)) totals.set(name, (totals.get(name) ?? 0) + count);
    }
    return { channels: Object.fromEntries([...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, subscribers]) => [name, { subscribers }])) };
  },

  /** Drains this node (not the cluster): answers at once with how many connections it is closing. */
  async drain(core, body) {
    const code = field.optionalInteger(body, 'code', 1001) ?? 1012;
    if (code !== 1001 && code !== 1012) throw new ApiError(400, ReplyErrorCode.BadRequest, '"code" must be 1012 (restart) or 1001 (going away)');
    const connections = core.sessions.size;
    void core.drain({
      code,
      batchSize: field.optionalInteger(body, 'batchSize', 1),
      intervalMs: field.optionalInteger(body, 'intervalMs', 0),
      reconnectWindowMs: field.optionalInteger(body, 'reconnectWindowMs', 0),
    });
    return { node: core.nodeId, connections };
  },

  async disconnect(core, body) {
    const userId = field.string(body, 'user');
    const code = field.optionalInteger(body, 'code', 3000) ?? DisconnectCode.ForceReconnect;
    if (code > 4999) throw new ApiError(400, ReplyErrorCode.BadRequest, '"code" must be 3000–4999');
    let reason = field.optionalString(body, 'reason') ?? 'disconnected by the server';
    const after = field.optionalInteger(body, 'reconnectAfterMs', 0);
    const until = field.optionalInteger(body, 'reconnectUntilMs', after ?? 0);
    if (until !== undefined && after === undefined) throw new ApiError(400, ReplyErrorCode.BadRequest, '"reconnectUntilMs" needs "reconnectAfterMs"');
    if (after !== undefined) reason = withReconnectAfter(reason, { minMs: after, maxMs: until ?? 2 * after });
    // A WebSocket close reason is at most 123 bytes.
    if (Buffer.byteLength(reason) > 123) throw new ApiError(400, ReplyErrorCode.BadRequest, 'the close reason (with its reconnect-after hint) must fit in 123 bytes');
    await core.cluster.broadcast('disconnect', { userId, code, reason });
    return {};
  },

  async unsubscribe(core, body) {
    const userId = field.string(body, 'user');
    const channel = field.string(body, 'channel');
    core.namespaces.resolve(channel);
    await core.cluster.broadcast('unsubscribe', { userId, channel, code: DisconnectCode.ForceNoReconnect, reason: 'unsubscribed by the server' });
    return {};
  },

  async send(core, body) {
    await core.cluster.broadcast('message', { userId: field.string(body, 'user'), data: field.required(body, 'data') });
    return {};
  },

  async info(core) {
    return { nodes: core.cluster.liveNodes() };
  },
};

const STATUS_OF: Partial<Record<number, number>> = {
  [ReplyErrorCode.UnknownChannel]: 400,
  [ReplyErrorCode.BadRequest]: 400,
  [ReplyErrorCode.NotAvailable]: 400,
  [ReplyErrorCode.UnrecoverablePosition]: 409,
  [ReplyErrorCode.LimitExceeded]: 413,
  [ReplyErrorCode.EngineUnavailable]: 503,
};

/** Answers `/api/*`; the API key is checked in constant time before anything else. */
export class ApiHandler {
  private readonly key: Buffer | undefined;

  constructor(
    apiKey: string | undefined,
    private readonly core: () => ServerCore | undefined,
  ) {
    this.key = apiKey === undefined ? undefined : Buffer.from(apiKey);
  }

  async handle(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    try {
      if (!this.authorized(req.headers.authorization)) throw new ApiError(401, ReplyErrorCode.Unauthorized, 'missing or wrong API key (Authorization: apikey KEY)');
      const endpoint = Object.hasOwn(ENDPOINTS, method) ? ENDPOINTS[method] : undefined;
      if (!endpoint) throw new ApiError(404, ReplyErrorCode.MethodNotFound, `no API method "${method}"`);
      if (req.method !== 'POST') throw new ApiError(405, ReplyErrorCode.BadRequest, 'use POST');
      const core = this.core();
      if (!core) throw new ApiError(503, ReplyErrorCode.NotAvailable, 'server is starting');
      const body = await readJsonBody(req, core.options.maxApiBodySize);
      sendJson(res, 200, await endpoint(core, body));
    } catch (error) {
      if (error instanceof ApiError) return sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.status === 405 ? { allow: 'POST' } : {});
      const reply = toReplyError(error);
      if (reply.code === ReplyErrorCode.Internal) this.core()?.log.error({ err: error, method }, 'API call failed');
      sendJson(res, STATUS_OF[reply.code] ?? (reply.code === ReplyErrorCode.Internal ? 500 : 400), { error: reply });
    }
  }

  private authorized(header: string | undefined): boolean {
    if (!this.key || !header?.startsWith('apikey ')) return false;
    const given = Buffer.from(header.slice(7));
    return given.length === this.key.length && timingSafeEqual(given, this.key);
  }
}
