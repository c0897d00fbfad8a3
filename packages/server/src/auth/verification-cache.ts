import { createHash } from 'node:crypto';

/**
 * Verified tokens, remembered for a short time so that a reconnect storm (every
 * client coming back with the token it had) costs one hash per connection, not
 * one signature check. Bounded: the least recently used entry goes first. Keys
 * are the tokens' SHA-256, so the cache holds no credential.
 */
export class VerificationCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, now = Date.now()): T | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Remembers `value` until `expiresAt` (the token's own expiry) or `ttlMs` from now, whichever comes first. */
  set(token: string, value: T, expiresAt: number | undefined, now = Date.now()): void {
    if (this.ttlMs === 0 || this.maxEntries === 0) return;
    const until = Math.min(expiresAt ?? Infinity, now + this.ttlMs);
    if (until <= now) return;
    const key = keyOf(token);
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    // Map iteration is insertion order, and reads re-insert: the first key is the least recently used.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');
