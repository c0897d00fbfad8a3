import { createHash } from 'node:crypto';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEventType } from '../events/lifecycle-event.js';
import { parseWebhookSecret } from './webhook-signature.js';

/** One webhook: where lifecycle events are POSTed (docs/webhooks.md). */
export interface WebhookOptions {
  /** http(s) URL that receives `POST {"events":[…]}`. */
  url: string;
  /** Standard Webhooks secret, `whsec_<base64>` (at least 16 bytes once decoded). */
  secret: string;
  /** Event types it gets. @default every type but `publication` */
  events?: LifecycleEventType[];
  /**
   * Channel events only of these namespaces (`""`: channels without one); connect and disconnect always. @default all
   */
  namespaces?: string[];
  /**
   * Its identity in the cluster (cursors, leases, dead letters, metric label): the same on every node. @default "wh_" +
   * a hash of the URL
   */
  name?: string;
  /** A request gets this long to answer 2xx. @default 5000 */
  timeoutMs?: number;
  /** Events per request at most. @default 100 */
  maxBatch?: number;
  /** After the first event arrives, wait this long for more to send together. @default 20 */
  windowMs?: number;
  /** Requests in flight at once from one node. @default 8 */
  maxInFlight?: number;
  /** Retries of a batch stop (it is dead-lettered) once its oldest event is this old. @default 86400000 */
  maxAgeMs?: number;
  /** The first retry waits up to this long (full jitter), doubling per retry… @default 500 */
  retryBaseMs?: number;
  /** …up to this. @default 30000 */
  retryMaxMs?: number;
}

export type ResolvedWebhook = Required<Omit<WebhookOptions, 'events' | 'namespaces' | 'secret'>> & {
  key: Uint8Array;
  events: ReadonlySet<LifecycleEventType>;
  namespaces: ReadonlySet<string> | undefined;
};

export const WEBHOOK_DEFAULTS = Object.freeze({
  timeoutMs: 5000,
  maxBatch: 100,
  windowMs: 20,
  maxInFlight: 8,
  maxAgeMs: 86_400_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
});

const POSITIVE = ['timeoutMs', 'maxBatch', 'maxInFlight', 'maxAgeMs', 'retryBaseMs', 'retryMaxMs'] as const;

/** Merges defaults and validates eagerly, naming the webhook and option at fault. */
export function resolveWebhooks(list: readonly WebhookOptions[]): ResolvedWebhook[] {
  const names = new Set<string>();
  return list.map((o, i) => {
    const at = `Switchboard server: webhooks[${i}]`;
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new TypeError(`${at}.url must be an http(s) URL, got ${String(o.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`${at}.url must be an http(s) URL, got ${o.url}`);
    const merged = {
      ...WEBHOOK_DEFAULTS,
      ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    } as WebhookOptions & typeof WEBHOOK_DEFAULTS;
    for (const key of POSITIVE)
      if (!(Number.isSafeInteger(merged[key]) && merged[key] > 0))
        throw new TypeError(`${at}.${key} must be a positive integer, got ${String(merged[key])}`);
    if (!(Number.isSafeInteger(merged.windowMs) && merged.windowMs >= 0))
      throw new TypeError(`${at}.windowMs must be an integer ≥ 0, got ${String(merged.windowMs)}`);
    let key: Uint8Array;
    try {
      key = parseWebhookSecret(o.secret);
    } catch (error) {
      throw new TypeError(`${at}.secret: ${(error as Error).message}`);
    }
    const events = o.events ?? LIFECYCLE_EVENT_TYPES.filter((t) => t !== 'publication');
    for (const t of events)
      if (!LIFECYCLE_EVENT_TYPES.includes(t))
        throw new TypeError(`${at}.events: unknown type "${String(t)}" (known: ${LIFECYCLE_EVENT_TYPES.join(', ')})`);
    const name = o.name ?? `wh_${createHash('sha256').update(o.url).digest('hex').slice(0, 12)}`;
    if (names.has(name)) throw new TypeError(`${at}: another webhook has the name (or URL) "${name}"`);
    names.add(name);
    return {
      url: o.url,
      name,
      key,
      timeoutMs: merged.timeoutMs,
      maxBatch: merged.maxBatch,
      windowMs: merged.windowMs,
      maxInFlight: merged.maxInFlight,
      maxAgeMs: merged.maxAgeMs,
      retryBaseMs: merged.retryBaseMs,
      retryMaxMs: merged.retryMaxMs,
      events: new Set(events),
      namespaces: o.namespaces && new Set(o.namespaces),
    };
  });
}
