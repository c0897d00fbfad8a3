import { EngineUnavailableError, type EngineLog } from '@switchboard/engine';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { scripts, type LuaScript } from './lua-script.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
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
    const open = (extra: RedisOptions) =>
      typeof target === 'string'
        ? new Redis(target, { ...common, ...extra })
        : new Redis({ ...target, ...common, ...extra });
    this.command = open({ commandTimeout: options.commandTimeoutMs, enableAutoPipelining: true });
    for (const script of Object.values(scripts))
      this.command.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
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
    const defined = this.command as unknown as Record<
      string,
      (...keysThenArgs: (string | number)[]) => Promise<unknown>
    >;
    return this.guard(() => defined[script.command](...keys, ...args));
  }

  /** PUBLISH on this shard, failing as `run` does; resolves with the number of subscribers reached. */
  publish(name: string, message: string): Promise<number> {
    return this.guard(() => this.command.publish(name, message));
  }

  /** Plain commands on the command connection, failing as `run` does. */
  call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    return this.guard(() => command(this.command));
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
export function asEngineError(error: unknown, url: string): unknown {
  if (error instanceof ReplyError && !String((error as Error).message).startsWith('LOADING')) return error;
  return new EngineUnavailableError(`redis ${redactRedisUrl(url)}: ${(error as Error).message}`, { cause: error });
}
