import { crc32 } from 'node:zlib';
import { EngineUnavailableError, type EngineLog } from '@switchboard/engine';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { scripts, type LuaScript } from './lua-script.js';
import { parseRedisUrl } from './redis-url.js';
import { SubscriptionBatcher } from './subscription-batcher.js';

export interface ShardOptions {
  /** A command without an answer in this time fails (temporary error 115). */
  commandTimeoutMs: number;
  /** How long start-up waits for every shard. */
  connectTimeoutMs: number;
}

export interface ShardEvents {
  /** A pub/sub message on any shard. */
  message(name: string, message: string): void;
  /** A shard's pub/sub link dropped and is subscribed again: deliveries in between were lost. */
  restored(): void;
  log?: EngineLog;
}

/**
 * One Redis instance: a connection for commands and one for pub/sub. Commands
 * fail fast while the link is down (no offline queue, no retry of a command in
 * flight: a publish resent after a reconnect could be applied twice); the
 * connections themselves reconnect forever.
 */
export class RedisShard {
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly subscriptions: SubscriptionBatcher;

  constructor(
    readonly url: string,
    options: ShardOptions,
    private readonly events: ShardEvents,
  ) {
    const target = parseRedisUrl(url);
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
    };
    const open = (extra: RedisOptions) => (typeof target === 'string' ? new Redis(target, { ...common, ...extra }) : new Redis({ ...target, ...common, ...extra }));
    this.command = open({ commandTimeout: options.commandTimeoutMs, enableAutoPipelining: true });
    for (const script of Object.values(scripts)) this.command.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    this.subscriber = open({ autoResubscribe: false });
    this.subscriptions = new SubscriptionBatcher(this.subscriber);
    this.subscriber.on('message', (name: string, message: string) => events.message(name, message));
    this.watch(this.command, 'commands', () => {});
    this.watch(this.subscriber, 'pub/sub', () => {
      this.subscriptions.restore().then(
        () => events.restored(),
        // It dropped again: the next 'ready' restores.
        (error: unknown) => events.log?.warn({ err: error, url: redactRedisUrl(url) }, 'redis pub/sub restore failed'),
      );
    });
  }

  async connect(): Promise<void> {
    await Promise.all([this.command.connect(), this.subscriber.connect()]);
  }

  /** Runs a script here (as the command defined for it); a lost or silent link becomes EngineUnavailableError. */
  run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const defined = this.command as unknown as Record<string, (...keysThenArgs: (string | number)[]) => Promise<unknown>>;
    return this.guard(() => defined[script.command](...keys, ...args));
  }

  /** PUBLISH on this shard, failing as `run` does; resolves with the number of subscribers reached. */
  publish(name: string, message: string): Promise<number> {
    return this.guard(() => this.command.publish(name, message));
  }

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw asEngineError(error, this.url);
    }
  }

  async close(): Promise<void> {
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  /** Logs a link's loss once (not every retry) and calls `restored` when it is back. */
  private watch(redis: Redis, role: string, restored: () => void): void {
    let lost = false;
    let wasReady = false;
    redis.on('error', (error: Error) => {
      if (!lost) this.events.log?.warn({ err: error.message, url: redactRedisUrl(this.url), role }, 'redis error');
    });
    redis.on('close', () => {
      if (!wasReady || lost) return;
      lost = true;
      this.events.log?.warn({ url: redactRedisUrl(this.url), role }, 'redis connection lost; reconnecting');
    });
    redis.on('ready', () => {
      if (lost) {
        lost = false;
        this.events.log?.info({ url: redactRedisUrl(this.url), role }, 'redis connection restored');
        restored();
      }
      wasReady = true;
    });
  }
}

/** Redis's own error answers (a script bug) stay as they are; anything else means the link failed. */
function asEngineError(error: unknown, url: string): unknown {
  if (error instanceof ReplyError && !String((error as Error).message).startsWith('LOADING')) return error;
  return new EngineUnavailableError(`redis ${redactRedisUrl(url)}: ${(error as Error).message}`, { cause: error });
}

/** A Redis URL fit for logs and banners: the user and password are hidden. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}

/** Several shards; a channel's shard is chosen by rendezvous hashing, so adding one moves only 1/N of channels. */
export class RedisShards {
  private constructor(readonly all: RedisShard[]) {}

  static async connect(urls: string[], options: ShardOptions, events: ShardEvents): Promise<RedisShards> {
    if (urls.length === 0) throw new Error('the Redis engine needs at least one URL');
    const shards = urls.map((url) => new RedisShard(url, options, events));
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new EngineUnavailableError(`redis did not answer within ${options.connectTimeoutMs} ms (${urls.map(redactRedisUrl).join(', ')})`)), options.connectTimeoutMs).unref(),
    );
    try {
      await Promise.race([Promise.all(shards.map((s) => s.connect())), timeout]);
    } catch (error) {
      await Promise.all(shards.map((s) => s.close()));
      throw error instanceof EngineUnavailableError ? error : asEngineError(error, urls.join(','));
    }
    return new RedisShards(shards);
  }

  of(channel: string): RedisShard {
    if (this.all.length === 1) return this.all[0];
    const hash = crc32(channel);
    let best = this.all[0];
    let bestScore = -1;
    for (let i = 0; i < this.all.length; i++) {
      const score = mix32(hash ^ Math.imul(i + 1, 0x9e3779b1));
      if (score > bestScore) [best, bestScore] = [this.all[i], score];
    }
    return best;
  }

  /** The shard the control bus lives on: every node must agree, so always the first. */
  get control(): RedisShard {
    return this.all[0];
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => s.close()));
  }
}

/** MurmurHash3's finalizer: every input bit flips each output bit with probability ½, so per-shard scores are independent. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
