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

  /** `include`: another file of `../lua/` put before it (shared Lua functions). */
  constructor(
    readonly name: string,
    readonly numberOfKeys: number,
    include?: string,
  ) {
    const read = (file: string) => readFileSync(new URL(`../lua/${file}.lua`, import.meta.url), 'utf8');
    this.lua = (include ? `${read(include)}\n` : '') + read(name);
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
  eventAppend: new LuaScript('event-append', 2, 'lib-events'),
  eventLease: new LuaScript('event-lease', 2),
  eventRelease: new LuaScript('event-release', 1),
  eventCommit: new LuaScript('event-commit', 3, 'lib-events'),
  occupancyEnter: new LuaScript('occupancy-enter', 4, 'lib-events'),
  occupancyExit: new LuaScript('occupancy-exit', 4, 'lib-events'),
  nodeAlive: new LuaScript('node-alive', 1),
  deadNodes: new LuaScript('dead-nodes', 1),
};
