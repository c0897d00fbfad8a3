/** One Pusher Channels application: its credentials and limits (Pusher's published limits by default). */
export interface PusherAppOptions {
  /** The app id of the REST paths (`/apps/{id}/…`): letters, digits, `_` and `-`. */
  id: string;
  /** The public key of the WebSocket path (`/app/{key}`) and of signatures (`auth_key`, `{key}:{signature}`). */
  key: string;
  /** Signs channel auth, sign-in and REST requests; never sent. */
  secret: string;
  /** Accept `client-` events on private and presence channels. @default false */
  clientEvents?: boolean;
  /**
   * Client events one connection may send per second (a burst of as many); beyond it `pusher:error` 4301. @default 10
   */
  clientEventsPerSecond?: number;
  /** Connections to this app on one node; beyond it the socket is closed with 4004. 0: no limit. @default 0 */
  maxConnections?: number;
  /** Users in one presence channel (across the cluster); beyond it the subscription fails. @default 100 */
  maxPresenceMembers?: number;
  /** Bytes of one member's `user_info` JSON. @default 1024 */
  maxPresenceMemberBytes?: number;
  /** Bytes of one event's `data` (REST and client events); the REST API answers 413 beyond it. @default 10240 */
  maxEventBytes?: number;
  /** Channels of one REST trigger. @default 100 */
  maxChannelsPerEvent?: number;
  /** Events of one `batch_events`. @default 10 */
  maxBatch?: number;
  /** How long a cache channel keeps its last event. @default 1800000 (30 minutes, as Pusher) */
  cacheTtlMs?: number;
  /**
   * Push `pusher_internal:subscription_count` (the cluster-wide subscriber count) to the subscribers of every
   * channel but presence ones, at most once a second per channel, as Pusher does when an app enables it. @default false
   */
  subscriptionCount?: boolean;
}

export interface PusherOptions {
  apps: PusherAppOptions[];
}

export type ResolvedPusherApp = Readonly<Required<PusherAppOptions>>;

export interface ResolvedPusherOptions {
  readonly apps: readonly ResolvedPusherApp[];
}

export const PUSHER_APP_DEFAULTS = Object.freeze({
  clientEvents: false,
  clientEventsPerSecond: 10,
  maxConnections: 0,
  maxPresenceMembers: 100,
  maxPresenceMemberBytes: 1024,
  maxEventBytes: 10_240,
  maxChannelsPerEvent: 100,
  maxBatch: 10,
  cacheTtlMs: 1_800_000,
  subscriptionCount: false,
});

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[A-Za-z0-9_.-]{1,128}$/;
const POSITIVE = [
  'clientEventsPerSecond',
  'maxPresenceMembers',
  'maxPresenceMemberBytes',
  'maxEventBytes',
  'maxChannelsPerEvent',
  'maxBatch',
  'cacheTtlMs',
] as const;

const BOOLEAN = ['clientEvents', 'subscriptionCount'] as const;

/** Applies the defaults and validates eagerly, naming the app and option at fault; ids and keys are unique. */
export function resolvePusherOptions(options: PusherOptions): ResolvedPusherOptions {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.apps))
    throw new TypeError('Switchboard server: pusher must be { apps: [...] }');
  const ids = new Set<string>();
  const keys = new Set<string>();
  const apps = options.apps.map((app, i) => {
    const fail = (why: string): never => {
      throw new TypeError(`Switchboard server: pusher.apps[${i}]${why}`);
    };
    for (const field of Object.keys(app)) {
      if (field === 'webhooks')
        fail('.webhooks: Pusher-format webhooks come with the lifecycle events (issue 27), not yet');
      if (!(field in PUSHER_APP_DEFAULTS) && field !== 'id' && field !== 'key' && field !== 'secret')
        fail(`.${field} is not a Pusher app option`);
    }
    if (typeof app.id !== 'string' || !ID.test(app.id)) fail('.id must be 1–64 letters, digits, "_" or "-"');
    if (typeof app.key !== 'string' || !KEY.test(app.key)) fail('.key must be 1–128 letters, digits, ".", "_" or "-"');
    if (typeof app.secret !== 'string' || app.secret.length < 8) fail('.secret must be at least 8 characters');
    if (ids.has(app.id)) fail(`.id "${app.id}" is used twice`);
    if (keys.has(app.key)) fail(`.key "${app.key}" is used twice`);
    ids.add(app.id);
    keys.add(app.key);
    const resolved = { ...PUSHER_APP_DEFAULTS, ...app };
    for (const name of POSITIVE)
      if (!(Number.isSafeInteger(resolved[name]) && resolved[name] > 0)) fail(`.${name} must be a positive integer`);
    if (!(Number.isSafeInteger(resolved.maxConnections) && resolved.maxConnections >= 0))
      fail('.maxConnections must be an integer ≥ 0 (0: no limit)');
    for (const name of BOOLEAN) if (typeof resolved[name] !== 'boolean') fail(`.${name} must be true or false`);
    return Object.freeze(resolved);
  });
  return Object.freeze({ apps: Object.freeze(apps) });
}

/** `ID:KEY:SECRET` (the `--pusher-app` flag, `SWITCHBOARD_PUSHER_APPS` items) → an app; the secret may contain `:`. */
export function parsePusherApp(text: string): PusherAppOptions {
  const [id, key, ...rest] = text.split(':');
  const secret = rest.join(':');
  if (!id || !key || !secret)
    throw new TypeError(`a Pusher app is ID:KEY:SECRET, got "${text.replace(/:[^:]*$/, ':…')}"`);
  return { id, key, secret };
}
