import { crc32 } from 'node:zlib';
import { EngineUnavailableError } from '@switchboard/engine';
import { asEngineError, RedisShard, type ShardEvents, type ShardOptions } from './redis-shard.js';
import { redactRedisUrl } from './redis-url.js';

/** Several shards; a channel's shard is chosen by rendezvous hashing, so adding one moves only 1/N of channels. */
export class RedisShards {
  private constructor(readonly all: RedisShard[]) {}

  static async connect(urls: string[], options: ShardOptions, events: ShardEvents): Promise<RedisShards> {
    if (urls.length === 0) throw new Error('the Redis engine needs at least one URL');
    const shards = urls.map((url) => new RedisShard(url, options, events));
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new EngineUnavailableError(
              `redis did not answer within ${options.connectTimeoutMs} ms (${urls.map(redactRedisUrl).join(', ')})`,
            ),
          ),
        options.connectTimeoutMs,
      ).unref(),
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

/**
 * MurmurHash3's finalizer: every input bit flips each output bit with probability ½, so per-shard scores are
 * independent.
 */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
