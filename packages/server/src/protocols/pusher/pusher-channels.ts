import { createHash } from 'node:crypto';
import type { NamespaceOptions } from '../../channels/namespace-options.js';
import type { ResolvedPusherApp } from './pusher-options.js';

/** What a Pusher channel name says about the channel (its prefix). */
type PusherChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export interface PusherChannel {
  /** The name the Pusher client and SDK use. */
  readonly name: string;
  /** The channel in Switchboard: `pusher-<app hash>-<kind>:<name>`, in the app's own namespaces. */
  readonly internal: string;
  readonly kind: PusherChannelKind;
  /** A `cache-` variant: the last event is kept (history of size 1 with the app's `cacheTtlMs`). */
  readonly cache: boolean;
}

/** Pusher's channel-name rule (the `pusher` SDK's, soketi's): these characters, at most 200. */
const NAME = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;
const USER_PREFIX = '#server-to-user-';

/** Namespace suffix of each kind (and its cache variant). */
const SUFFIX = { public: 'pub', private: 'priv', encrypted: 'enc', presence: 'pres', user: 'user' } as const;

/**
 * An app's channels: Pusher names ↔ Switchboard channels in namespaces that
 * only this app's sessions and REST API resolve (the app's own `Namespaces`),
 * so two apps, and the native protocol, never share a channel.
 */
export class PusherChannels {
  /** `pusher-` and 10 hex digits of the app id's SHA-256: stable across nodes and restarts. */
  readonly prefix: string;

  constructor(readonly app: ResolvedPusherApp) {
    this.prefix = `pusher-${createHash('sha256').update(app.id).digest('hex').slice(0, 10)}`;
  }

  /** The channel a Pusher name denotes, or undefined for a name Pusher refuses. */
  parse(name: unknown): PusherChannel | undefined {
    if (typeof name !== 'string') return undefined;
    if (name.startsWith(USER_PREFIX)) {
      const user = name.slice(USER_PREFIX.length);
      return NAME.test(user)
        ? { name, internal: `${this.prefix}-${SUFFIX.user}:${user}`, kind: 'user', cache: false }
        : undefined;
    }
    if (!NAME.test(name)) return undefined;
    const kind: PusherChannelKind = name.startsWith('private-encrypted-')
      ? 'encrypted'
      : name.startsWith('private-')
        ? 'private'
        : name.startsWith('presence-')
          ? 'presence'
          : 'public';
    const rest =
      kind === 'public' ? name : name.slice(name.indexOf('-') + 1 + (kind === 'encrypted' ? 'encrypted-'.length : 0));
    const cache = rest.startsWith('cache-');
    return { name, internal: `${this.prefix}-${SUFFIX[kind]}${cache ? 'c' : ''}:${name}`, kind, cache };
  }

  /** The Pusher name of one of this app's internal channels (undefined: not this app's). */
  nameOf(internal: string): string | undefined {
    const colon = internal.indexOf(':');
    if (colon < 0 || !internal.startsWith(this.prefix)) return undefined;
    const name = internal.slice(colon + 1);
    return internal.slice(this.prefix.length + 1, colon) === SUFFIX.user ? USER_PREFIX + name : name;
  }

  /**
   * The app's namespaces, by name: presence counts on every kind (`subscription_count`, occupancy), the member list on
   * presence channels.
   */
  namespaces(): Record<string, NamespaceOptions> {
    const { clientEvents, maxEventBytes, cacheTtlMs } = this.app;
    // Data is the event envelope (name, data, sender): room for it beyond the event's own limit.
    const base: NamespaceOptions = {
      presence: true,
      presenceMode: 'counts',
      allowPublish: false,
      maxDataSize: 2 * maxEventBytes + 1024,
      maxPresenceMembers: 0,
      proxy: [],
    };
    const kinds: Record<string, NamespaceOptions> = {
      [SUFFIX.public]: base,
      [SUFFIX.private]: { ...base, allowPublish: clientEvents },
      [SUFFIX.encrypted]: base,
      [SUFFIX.presence]: { ...base, presenceMode: 'full', joinLeave: true, allowPublish: clientEvents },
    };
    const all: Record<string, NamespaceOptions> = {
      [`${this.prefix}-${SUFFIX.user}`]: { ...base, presence: false, presenceMode: 'full' },
    };
    for (const [suffix, options] of Object.entries(kinds)) {
      all[`${this.prefix}-${suffix}`] = options;
      all[`${this.prefix}-${suffix}c`] = {
        ...options,
        history: { size: 1, ttlMs: cacheTtlMs },
        recovery: false,
        backpressure: 'close',
      };
    }
    return all;
  }
}
