import type { IncomingMessage, ServerResponse } from 'node:http';
import { DisconnectCode, ReplyErrorCode, withReconnectAfter } from '@switchboard/wire';
import type { ChannelService } from '../channels/channel-service.js';
import type { ClusterControl } from '../cluster/cluster-control.js';
import { toReplyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DrainPlan } from '../sessions/drain.js';
import type { WebhookAdmin } from '../webhooks/webhook-dispatcher.js';
import { HeaderSecret } from '../http/header-secret.js';
import { ApiError, field, readJsonBody, sendJson, type BodyLimits } from '../http/json-http.js';

/** What the HTTP API uses of its node. */
export interface ApiServices {
  readonly nodeId: string;
  readonly channels: ChannelService;
  readonly cluster: Pick<ClusterControl, 'broadcast' | 'survey' | 'liveNodes' | 'drainNode'>;
  readonly log: Logger;
  readonly body: BodyLimits;
  /** This node's open connections. */
  connections(): number;
  /** Starts this node's staggered drain. */
  drain(plan: Partial<DrainPlan>): Promise<number>;
  /** The webhooks, when configured. */
  readonly webhooks?: WebhookAdmin;
}

type Body = Record<string, unknown>;

/** Commands in one `/api/batch`. */
const MAX_BATCH = 1000;
type Endpoint = (core: ApiServices, body: Body) => Promise<unknown>;

/** Publishes as the backend: namespace rules for clients (allowPublish) do not apply. */
async function publish(core: ApiServices, channel: string, data: unknown, idempotencyKey: string | undefined) {
  const position = await core.channels.publish(channel, data, { idempotencyKey });
  return { offset: position.offset, epoch: position.epoch };
}

function position(body: Body) {
  const since = body.since;
  if (since === undefined) return undefined;
  if (typeof since !== 'object' || since === null)
    throw new ApiError(400, ReplyErrorCode.BadRequest, '"since" must be {offset, epoch}');
  const { offset, epoch } = since as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || typeof epoch !== 'string')
    throw new ApiError(400, ReplyErrorCode.BadRequest, '"since" must be {offset, epoch}');
  return { offset, epoch };
}

/** The HTTP API for backends (docs/server-api.md): POST /api/<method> with a JSON object body. */
const ENDPOINTS: Record<string, Endpoint> = {
  publish: (core, body) =>
    publish(
      core,
      field.string(body, 'channel'),
      field.required(body, 'data'),
      field.optionalString(body, 'idempotencyKey'),
    ),

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

  history: (core, body) =>
    core.channels.history(field.string(body, 'channel'), {
      since: position(body),
      limit: field.optionalInteger(body, 'limit', -1),
      reverse: body.reverse === true,
    }),

  async history_remove(core, body) {
    await core.channels.removeHistory(field.string(body, 'channel'));
    return {};
  },

  presence: async (core, body) => ({ clients: await core.channels.presence(field.string(body, 'channel')) }),

  presence_stats: (core, body) => core.channels.presenceStats(field.string(body, 'channel')),

  async channels(core) {
    const totals = new Map<string, number>();
    for (const answer of (await core.cluster.survey('channels')).values()) {
      for (const [name, count] of Object.entries(answer as Record<string, number>))
        totals.set(name, (totals.get(name) ?? 0) + count);
    }
    return {
      channels: Object.fromEntries(
        [...totals]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, subscribers]) => [name, { subscribers }]),
      ),
    };
  },

  /**
   * Drains this node, or the live node `node` names (not the cluster): answers at once with how many connections it is
   * closing.
   */
  async drain(core, body) {
    const code = field.optionalInteger(body, 'code', 1001) ?? 1012;
    if (code !== 1001 && code !== 1012)
      throw new ApiError(400, ReplyErrorCode.BadRequest, '"code" must be 1012 (restart) or 1001 (going away)');
    const node = field.optionalString(body, 'node');
    if (node !== undefined && node !== core.nodeId) {
      const target = core.cluster.liveNodes().find((n) => n.nodeId === node);
      if (!target) throw new ApiError(400, ReplyErrorCode.BadRequest, `no live node "${node}"`);
      // -1: the node's own option.
      const opt = (name: string) => field.optionalInteger(body, name, name === 'reconnectWindowMs' ? 0 : 1) ?? -1;
      await core.cluster.drainNode(node, {
        code,
        batchSize: opt('batchSize'),
        intervalMs: opt('intervalMs'),
        reconnectWindowMs: opt('reconnectWindowMs'),
      });
      return { node, connections: target.connections };
    }
    const connections = core.connections();
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
    if (until !== undefined && after === undefined)
      throw new ApiError(400, ReplyErrorCode.BadRequest, '"reconnectUntilMs" needs "reconnectAfterMs"');
    if (after !== undefined) reason = withReconnectAfter(reason, { minMs: after, maxMs: until ?? 2 * after });
    // A WebSocket close reason is at most 123 bytes.
    if (Buffer.byteLength(reason) > 123)
      throw new ApiError(
        400,
        ReplyErrorCode.BadRequest,
        'the close reason (with its reconnect-after hint) must fit in 123 bytes',
      );
    await core.cluster.broadcast('disconnect', { userId, code, reason });
    return {};
  },

  async unsubscribe(core, body) {
    const userId = field.string(body, 'user');
    const channel = field.string(body, 'channel');
    core.channels.resolve(channel);
    await core.cluster.broadcast('unsubscribe', {
      userId,
      channel,
      code: DisconnectCode.ForceNoReconnect,
      reason: 'unsubscribed by the server',
    });
    return {};
  },

  /** Subscribes the user's connections, on every node, from the server's side; `since` recovers from a position. */
  async subscribe(core, body) {
    const userId = field.string(body, 'user');
    const channel = field.string(body, 'channel');
    core.channels.resolve(channel);
    const since = position(body);
    await core.cluster.broadcast('subscribe', since ? { userId, channel, since } : { userId, channel });
    return {};
  },

  /**
   * Moves the credential expiry of the user's connections (or of one, `client`); without `expiresAt`, they no longer
   * expire.
   */
  async refresh(core, body) {
    const userId = field.string(body, 'user');
    const client = field.optionalString(body, 'client');
    const expiresAt = field.optionalInteger(body, 'expiresAt', 0);
    if (expiresAt !== undefined && expiresAt <= Date.now())
      throw new ApiError(400, ReplyErrorCode.BadRequest, '"expiresAt" must be in the future (Unix ms)');
    await core.cluster.broadcast('refresh', {
      userId,
      ...(client && { client }),
      ...(expiresAt !== undefined && { expiresAt }),
    });
    return {};
  },

  /**
   * Several commands in one request, run one after the other and answered in order, each with its result or its error.
   */
  async batch(core, body) {
    const commands = body.commands;
    if (!Array.isArray(commands) || commands.length === 0 || commands.length > MAX_BATCH) {
      throw new ApiError(
        400,
        ReplyErrorCode.BadRequest,
        `"commands" must be a list of 1–${MAX_BATCH} {method, params}`,
      );
    }
    const replies: unknown[] = [];
    for (const command of commands as unknown[]) {
      const { method, params } = (typeof command === 'object' && command !== null ? command : {}) as {
        method?: unknown;
        params?: unknown;
      };
      try {
        const endpoint =
          typeof method === 'string' && method !== 'batch' && method !== 'drain' && Object.hasOwn(ENDPOINTS, method)
            ? ENDPOINTS[method]
            : undefined;
        if (!endpoint)
          throw new ApiError(404, ReplyErrorCode.MethodNotFound, `no batchable API method ${JSON.stringify(method)}`);
        if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
          throw new ApiError(400, ReplyErrorCode.BadRequest, '"params" must be an object');
        replies.push({ result: await endpoint(core, (params ?? {}) as Body) });
      } catch (error) {
        const reply = error instanceof ApiError ? { code: error.code, message: error.message } : toReplyError(error);
        if (reply.code === ReplyErrorCode.Internal) core.log.error({ err: error, method }, 'API call failed (batch)');
        replies.push({ error: reply });
      }
    }
    return { replies };
  },

  async send(core, body) {
    await core.cluster.broadcast('message', { userId: field.string(body, 'user'), data: field.required(body, 'data') });
    return {};
  },

  /** The webhooks, their dead letters (cluster-wide) and what this node delivers (docs/webhooks.md#api). */
  webhooks: async (core) => ({ webhooks: (await core.webhooks?.list()) ?? [] }),

  async webhook_dead_letters(core, body) {
    const name = field.string(body, 'webhook');
    const letters = await core.webhooks?.deadLetters(name, field.optionalInteger(body, 'limit', 1) ?? 100);
    if (!letters) throw new ApiError(400, ReplyErrorCode.BadRequest, `no webhook "${name}"`);
    return { deadLetters: letters };
  },

  async webhook_replay(core, body) {
    const name = field.string(body, 'webhook');
    const result = await core.webhooks?.replay(name, field.optionalInteger(body, 'limit', 1) ?? 1000);
    if (!result) throw new ApiError(400, ReplyErrorCode.BadRequest, `no webhook "${name}"`);
    return result;
  },

  async info(core) {
    return { nodes: core.cluster.liveNodes() };
  },

  /**
   * Every live node's dashboard figures, gathered over the control bus (cumulative counters: take rates between two
   * calls).
   */
  async stats(core) {
    return { at: Date.now(), nodes: [...(await core.cluster.survey('stats')).values()].filter((a) => a !== null) };
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
  private readonly key: HeaderSecret;

  constructor(
    apiKey: string | undefined,
    private readonly core: () => ApiServices | undefined,
    corsOrigins: readonly string[] | undefined,
  ) {
    this.key = new HeaderSecret('apikey', apiKey);
    this.cors = new Set(corsOrigins ?? []);
  }

  private readonly cors: Set<string>;

  async handle(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    // CORS: only listed origins get the headers a browser needs; the API key is still required.
    const origin = req.headers.origin;
    const allowed = origin !== undefined && this.cors.has(origin);
    if (allowed) res.setHeader('access-control-allow-origin', origin).setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      if (!allowed)
        return sendJson(res, 403, {
          error: { code: ReplyErrorCode.PermissionDenied, message: 'origin not allowed (apiCorsOrigins)' },
        });
      res.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
      return void res.end();
    }
    try {
      if (!this.key.matches(req.headers.authorization))
        throw new ApiError(401, ReplyErrorCode.Unauthorized, 'missing or wrong API key (Authorization: apikey KEY)');
      const endpoint = Object.hasOwn(ENDPOINTS, method) ? ENDPOINTS[method] : undefined;
      if (!endpoint) throw new ApiError(404, ReplyErrorCode.MethodNotFound, `no API method "${method}"`);
      if (req.method !== 'POST') throw new ApiError(405, ReplyErrorCode.BadRequest, 'use POST');
      const core = this.core();
      if (!core) throw new ApiError(503, ReplyErrorCode.NotAvailable, 'server is starting');
      const body = await readJsonBody(req, core.body);
      sendJson(res, 200, await endpoint(core, body));
    } catch (error) {
      if (error instanceof ApiError)
        return sendJson(
          res,
          error.status,
          { error: { code: error.code, message: error.message } },
          error.status === 405 ? { allow: 'POST' } : {},
        );
      const reply = toReplyError(error);
      if (reply.code === ReplyErrorCode.Internal) this.core()?.log.error({ err: error, method }, 'API call failed');
      sendJson(res, STATUS_OF[reply.code] ?? (reply.code === ReplyErrorCode.Internal ? 500 : 400), { error: reply });
    }
  }
}
