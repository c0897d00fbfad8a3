import type { Redis } from 'ioredis';

/** Channels per SUBSCRIBE / UNSUBSCRIBE command. */
const CHUNK = 500;

/**
 * One node's pub/sub subscriptions on one Redis connection. Changes made in the
 * same tick go out together (one SUBSCRIBE for many channels under churn), and a
 * subscribe cancelled within the batch costs nothing. After the connection comes
 * back, `restore` subscribes the whole set again.
 */
export class SubscriptionBatcher {
  /** What Redis holds for this connection (or held, before it dropped). */
  private readonly active = new Set<string>();
  private pending = new Map<string, boolean>();
  private batch: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly redis: Redis) {}

  get size(): number {
    return this.active.size;
  }

  subscribe(name: string): Promise<void> {
    if (this.active.has(name) && !this.pending.has(name)) return Promise.resolve();
    return this.change(name, true);
  }

  unsubscribe(name: string): Promise<void> {
    if (!this.active.has(name) && !this.pending.has(name)) return Promise.resolve();
    return this.change(name, false);
  }

  /** Subscribes again to everything after a reconnect (the server forgot this connection's set). */
  async restore(): Promise<void> {
    await this.running.catch(() => {});
    const names = [...this.active];
    for (let i = 0; i < names.length; i += CHUNK) await this.redis.subscribe(...names.slice(i, i + CHUNK));
  }

  private change(name: string, subscribe: boolean): Promise<void> {
    this.pending.set(name, subscribe);
    // One batch per tick, run after the one in flight so that changes keep their order.
    this.batch ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.batch = undefined;
      const changes = this.pending;
      this.pending = new Map();
      return (this.running = this.running.catch(() => {}).then(() => this.apply(changes)));
    });
    return this.batch;
  }

  private async apply(changes: Map<string, boolean>): Promise<void> {
    const add = [...changes].filter(([name, on]) => on && !this.active.has(name)).map(([name]) => name);
    const drop = [...changes].filter(([name, on]) => !on && this.active.has(name)).map(([name]) => name);
    for (let i = 0; i < add.length; i += CHUNK) {
      const chunk = add.slice(i, i + CHUNK);
      await this.redis.subscribe(...chunk);
      for (const name of chunk) this.active.add(name);
    }
    for (let i = 0; i < drop.length; i += CHUNK) {
      const chunk = drop.slice(i, i + CHUNK);
      for (const name of chunk) this.active.delete(name);
      await this.redis.unsubscribe(...chunk);
    }
  }
}
