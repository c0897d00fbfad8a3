import type { Holding, LogEvent, OccupancyStore } from '@switchboard/engine';
import { scripts } from './lua-script.js';
import type { RedisEventLog } from './redis-event-log.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisShard } from './redis-shard.js';

const SEP = '\u0000';

/**
 * The OccupancyStore on Redis (see OccupancyStore), on the event log's shard: per
 * node a hash of its holdings, per key a hash of totals, and a sorted set of node
 * marks on the Redis clock. Each transition and the append of its event are one
 * script (`occupancy-enter.lua`, `occupancy-exit.lua`), so neither is ever lost
 * or doubled, whichever nodes race.
 */
export class RedisOccupancyStore implements OccupancyStore {
  constructor(
    private readonly shard: RedisShard,
    private readonly keys: RedisKeys,
    private readonly log: RedisEventLog,
  ) {}

  async enter(key: string, member: string, node: string, event?: LogEvent): Promise<{ first: boolean }> {
    return { first: (await this.step(scripts.occupancyEnter, key, member, node, event, [])) === 1 };
  }

  async exit(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return { last: (await this.step(scripts.occupancyExit, key, member, node, event, ['0'])) === 1 };
  }

  async evict(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return { last: (await this.step(scripts.occupancyExit, key, member, node, event, ['1'])) === 1 };
  }

  async holdings(node: string): Promise<Holding[]> {
    const all = await this.shard.call((r) => r.hgetall(this.keys.holdings + node));
    return Object.entries(all).map(([slot, count]) => {
      const at = slot.indexOf(SEP);
      return { key: slot.slice(0, at), member: slot.slice(at + 1), count: Number(count) };
    });
  }

  async alive(node: string, ttlMs: number): Promise<void> {
    await this.shard.run(scripts.nodeAlive, [this.keys.nodes], [node, ttlMs]);
  }

  async deadNodes(): Promise<string[]> {
    return (await this.shard.run(scripts.deadNodes, [this.keys.nodes], [this.keys.holdings])) as string[];
  }

  private step(
    script: typeof scripts.occupancyEnter,
    key: string,
    member: string,
    node: string,
    event: LogEvent | undefined,
    extra: string[],
  ): Promise<unknown> {
    const target = this.log.target(event?.key ?? key);
    return this.shard.run(
      script,
      [this.keys.holdings + node, this.keys.occupancy(key), ...target.keys],
      [key + SEP + member, member, ...target.args, event ? JSON.stringify(event) : '', ...extra],
    );
  }
}
