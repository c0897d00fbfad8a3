import { readFileSync } from 'node:fs';

/**
 * A Lua script from `../lua/` (the same path from `src/` and `dist/`). Each
 * shard defines them as ioredis commands, which run by SHA1 and reload the
 * script when Redis answers NOSCRIPT (after a restart its cache is empty).
 */
export class LuaScript {
  readonly lua: string;
  /** The ioredis command name: prefixed, so that `publish` never replaces Redis's own PUBLISH. */
  readonly command: string;

  constructor(
    readonly name: string,
    readonly numberOfKeys: number,
  ) {
    this.lua = readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
    this.command = `switchboard_${name.replaceAll('-', '_')}`;
  }
}

export const scripts = {
  publish: new LuaScript('publish', 3),
  history: new LuaScript('history', 2),
  presenceAdd: new LuaScript('presence-add', 2),
  presenceGet: new LuaScript('presence-get', 2),
  presenceRemove: new LuaScript('presence-remove', 2),
  remove: new LuaScript('remove', 2),
};
