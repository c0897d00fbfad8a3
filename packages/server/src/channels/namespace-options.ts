import { CHANNEL_PROXY_EVENTS, type ChannelProxyEvent } from '../proxy/proxy-options.js';

/** Options of one namespace; every channel `namespace:*` follows them. */
export interface NamespaceOptions {
  /** Keep history (size publications, for ttlMs after the last one). @default false */
  history?: false | { size: number; ttlMs: number };
  /** Let clients recover missed publications from history on resubscribe. @default true when history is on */
  recovery?: boolean;
  /** Most publications one recovery may replay; more → `recovered: false`. @default 1000 */
  maxRecoveredPublications?: number;
  /** Track who is subscribed. @default false */
  presence?: boolean;
  /** Push join/leave events to subscribers (needs presence). @default false */
  joinLeave?: boolean;
  /** 'counts' serves only client/user counts (no list, no join/leave), for rooms too large to list. @default 'full' */
  presenceMode?: 'full' | 'counts';
  /** May clients publish, or only the backend (HTTP API)? @default false */
  allowPublish?: boolean;
  /** Who may subscribe: any connected client, or only with a per-channel subscribe token. @default 'connected' */
  allowSubscribe?: 'connected' | 'token';
  /** Most subscribers per channel on this node; 0 = no limit. @default 0 */
  maxSubscribers?: number;
  /**
   * What a connection whose send buffer is over `maxSendBufferBytes` gets of this
   * namespace's publications (docs/operations.md#slow-consumers): `lossless` pauses and
   * catches up from history, `latest` keeps the newest per channel, `drop-oldest` keeps a
   * bounded queue, `close` disconnects with 3008.
   * @default 'lossless' with history, else 'close'
   */
  backpressure?: BackpressurePolicy;
  /**
   * Largest publication data in bytes (its JSON text, or a byte array's length); larger publishes get 106, from clients
   * and the API alike. @default 65536
   */
  maxDataSize?: number;
  /**
   * With joinLeave: joins and leaves are gathered per channel for this many ms and sent as one `presence` push (big
   * rooms). 0: one `join`/`leave` push each. @default 0
   */
  joinLeaveWindowMs?: number;
  /**
   * Compress this namespace's publications and joins/leaves on connections that negotiated compression (server option
   * `compression`). @default true
   */
  compress?: boolean;
  /**
   * Presence entries per channel on this node (with presence on); a subscribe beyond it gets 106. 0: no limit. @default
   * 10000
   */
  maxPresenceMembers?: number;
  /**
   * The channel events this namespace takes to the backend when `proxy` configures them; `[]` keeps the namespace off
   * the proxy. @default ['subscribe', 'publish', 'sub_refresh']
   */
  proxy?: ChannelProxyEvent[];
}

const BACKPRESSURE_POLICIES = ['lossless', 'latest', 'drop-oldest', 'close'] as const;
type BackpressurePolicy = (typeof BACKPRESSURE_POLICIES)[number];

export type ResolvedNamespaceOptions = Required<NamespaceOptions>;

export const NAMESPACE_DEFAULTS: Readonly<ResolvedNamespaceOptions> = Object.freeze({
  history: false,
  // Resolved per namespace: on exactly when history is on.
  recovery: false,
  maxRecoveredPublications: 1000,
  presence: false,
  joinLeave: false,
  presenceMode: 'full',
  allowPublish: false,
  allowSubscribe: 'connected',
  maxSubscribers: 0,
  // Resolved per namespace from history.
  backpressure: 'close',
  maxDataSize: 65_536,
  maxPresenceMembers: 10_000,
  compress: true,
  joinLeaveWindowMs: 0,
  proxy: Object.freeze([...CHANNEL_PROXY_EVENTS]) as ChannelProxyEvent[],
});

/** Applies defaults and validates eagerly, naming the namespace and option at fault. */
export function resolveNamespaceOptions(namespace: string, options: NamespaceOptions): ResolvedNamespaceOptions {
  const fail = (option: string, why: string): never => {
    throw new TypeError(`namespace "${namespace}": ${option} ${why}`);
  };
  for (const key of Object.keys(options)) if (!(key in NAMESPACE_DEFAULTS)) fail(key, 'is not a namespace option');
  const history = options.history ?? false;
  if (history !== false) {
    if (!(Number.isSafeInteger(history.size) && history.size > 0)) fail('history.size', 'must be a positive integer');
    if (!(Number.isSafeInteger(history.ttlMs) && history.ttlMs > 0))
      fail('history.ttlMs', 'must be a positive integer');
  }
  const recovery = options.recovery ?? history !== false;
  if (recovery && history === false) fail('recovery', 'needs history');
  const backpressure = options.backpressure ?? (history === false ? 'close' : 'lossless');
  if (!BACKPRESSURE_POLICIES.includes(backpressure))
    fail('backpressure', `must be one of ${BACKPRESSURE_POLICIES.join(', ')}`);
  if (backpressure === 'lossless' && history === false)
    fail('backpressure', "'lossless' needs history (it catches up from it)");
  const resolved: ResolvedNamespaceOptions = { ...NAMESPACE_DEFAULTS, ...options, history, recovery, backpressure };
  if (resolved.joinLeave && !resolved.presence) fail('joinLeave', 'needs presence');
  if (!(Number.isSafeInteger(resolved.maxRecoveredPublications) && resolved.maxRecoveredPublications > 0)) {
    fail('maxRecoveredPublications', 'must be a positive integer');
  }
  if (!(Number.isSafeInteger(resolved.maxDataSize) && resolved.maxDataSize > 0))
    fail('maxDataSize', 'must be a positive integer');
  if (typeof resolved.compress !== 'boolean') fail('compress', 'must be true or false');
  if (!(Number.isSafeInteger(resolved.joinLeaveWindowMs) && resolved.joinLeaveWindowMs >= 0))
    fail('joinLeaveWindowMs', 'must be a non-negative integer');
  if (!(Number.isSafeInteger(resolved.maxPresenceMembers) && resolved.maxPresenceMembers >= 0))
    fail('maxPresenceMembers', 'must be a non-negative integer');
  if (!(Number.isSafeInteger(resolved.maxSubscribers) && resolved.maxSubscribers >= 0))
    fail('maxSubscribers', 'must be a non-negative integer');
  if (resolved.presenceMode !== 'full' && resolved.presenceMode !== 'counts')
    fail('presenceMode', "must be 'full' or 'counts'");
  if (resolved.allowSubscribe !== 'connected' && resolved.allowSubscribe !== 'token')
    fail('allowSubscribe', "must be 'connected' or 'token'");
  if (
    !Array.isArray(resolved.proxy) ||
    resolved.proxy.some((e) => !(CHANNEL_PROXY_EVENTS as readonly string[]).includes(e))
  ) {
    fail('proxy', `must be a list of ${CHANNEL_PROXY_EVENTS.join(', ')}`);
  }
  return resolved;
}
