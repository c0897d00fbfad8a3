/** The events the server can ask the application's backend about (docs/server-api.md#backend-proxies). */
const PROXY_EVENTS = ['connect', 'refresh', 'subscribe', 'publish', 'rpc', 'sub_refresh'] as const;
export type ProxyEvent = (typeof PROXY_EVENTS)[number];

/** The channel events, which a namespace may opt out of (namespace option `proxy`). */
export const CHANNEL_PROXY_EVENTS = ['subscribe', 'publish', 'sub_refresh'] as const;
export type ChannelProxyEvent = (typeof CHANNEL_PROXY_EVENTS)[number];

/** Where one event goes. */
interface ProxyEndpointOptions {
  /** `http://` or `https://` URL the event is POSTed to as JSON. */
  url: string;
  /** A request without an answer by then fails with 116 (temporary). @default the proxy's timeoutMs */
  timeoutMs?: number;
}

export interface ProxyOptions {
  connect?: ProxyEndpointOptions;
  /** Called when a connection's credentials expire (instead of asking the client), and for a client's `refresh`. */
  refresh?: ProxyEndpointOptions;
  subscribe?: ProxyEndpointOptions;
  publish?: ProxyEndpointOptions;
  /** Every RPC method without an in-process `onRpc` handler. */
  rpc?: ProxyEndpointOptions;
  /** Called when a subscription's access (the `expiresAt` of a subscribe answer) ends. */
  sub_refresh?: ProxyEndpointOptions;
  /** @default 5000 */
  timeoutMs?: number;
  /** Handshake headers forwarded with every request (case-insensitive names). @default [] */
  headers?: string[];
  /** Handshake cookies forwarded (only these, in a rebuilt `cookie` header). @default [] */
  cookies?: string[];
  /**
   * Requests in flight to the backend at once, all events together; more wait for a slot (within their
   * timeout). @default 64
   */
  maxInFlight?: number;
  /** Requests waiting for a slot; more fail at once with 116. @default 10000 */
  maxQueued?: number;
  /** Static headers added to every request (e.g. a shared secret for the backend). @default {} */
  staticHeaders?: Record<string, string>;
}

export interface ResolvedProxyEndpoint {
  url: URL;
  timeoutMs: number;
}

export interface ResolvedProxyOptions {
  endpoints: Partial<Record<ProxyEvent, ResolvedProxyEndpoint>>;
  headers: string[];
  cookies: string[];
  maxInFlight: number;
  maxQueued: number;
  staticHeaders: Record<string, string>;
}

const PROXY_DEFAULTS = Object.freeze({ timeoutMs: 5000, maxInFlight: 64, maxQueued: 10_000 });

const KEYS = new Set<string>([
  ...PROXY_EVENTS,
  'timeoutMs',
  'headers',
  'cookies',
  'maxInFlight',
  'maxQueued',
  'staticHeaders',
]);

/** Validates eagerly, naming the option at fault. */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  const fail = (what: string, why: string): never => {
    throw new TypeError(`Switchboard server: proxy.${what} ${why}`);
  };
  if (typeof options !== 'object' || options === null) fail('', 'must be an object');
  for (const key of Object.keys(options)) if (!KEYS.has(key)) fail(key, 'is not a proxy option');
  const positive = (key: string, v: unknown, fallback: number): number => {
    const n = v ?? fallback;
    if (!(Number.isSafeInteger(n) && (n as number) > 0)) fail(key, `must be a positive integer, got ${String(v)}`);
    return n as number;
  };
  const timeoutMs = positive('timeoutMs', options.timeoutMs, PROXY_DEFAULTS.timeoutMs);
  const endpoints: ResolvedProxyOptions['endpoints'] = {};
  for (const event of PROXY_EVENTS) {
    const endpoint = options[event];
    if (endpoint === undefined) continue;
    let url: URL | undefined;
    try {
      url = new URL(endpoint.url);
    } catch {
      fail(`${event}.url`, `must be an http(s) URL, got ${JSON.stringify(endpoint.url)}`);
    }
    if (url!.protocol !== 'http:' && url!.protocol !== 'https:') fail(`${event}.url`, 'must be http: or https:');
    endpoints[event] = { url: url!, timeoutMs: positive(`${event}.timeoutMs`, endpoint.timeoutMs, timeoutMs) };
  }
  const names = (key: 'headers' | 'cookies'): string[] => {
    const list = options[key] ?? [];
    if (!Array.isArray(list) || list.some((h) => typeof h !== 'string' || h === ''))
      fail(key, 'must be a list of names');
    return key === 'headers' ? list.map((h) => h.toLowerCase()) : [...list];
  };
  const staticHeaders = options.staticHeaders ?? {};
  if (typeof staticHeaders !== 'object' || Object.values(staticHeaders).some((v) => typeof v !== 'string'))
    fail('staticHeaders', 'must map names to strings');
  return {
    endpoints,
    headers: names('headers'),
    cookies: names('cookies'),
    maxInFlight: positive('maxInFlight', options.maxInFlight, PROXY_DEFAULTS.maxInFlight),
    maxQueued: positive('maxQueued', options.maxQueued, PROXY_DEFAULTS.maxQueued),
    staticHeaders: { ...staticHeaders },
  };
}
