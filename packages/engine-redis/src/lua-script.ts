import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * A Lua script from `../lua/` (the same path from `src/` and `dist/`), run by
 * its SHA1 and loaded on demand: after a Redis restart the script cache is
 * empty, and the first call reloads it.
 */
export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(name: string) {
    this.source = readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const scripts = {
  publish: new LuaScript('publish'),
  history: new LuaScript('history'),
  presenceAdd: new LuaScript('presence-add'),
  presenceGet: new LuaScript('presence-get'),
  presenceRemove: new LuaScript('presence-remove'),
  remove: new LuaScript('remove'),
};
