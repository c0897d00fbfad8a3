import type { RedisOptions } from 'ioredis';

const SENTINEL = /^redis-sentinel:\/\/(?:([^@/]*)@)?([^/]+)(?:\/([^/]*))?(?:\/(\d+))?\/?$/;

/**
 * Where one shard's Redis is:
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS): ioredis's own URL form;
 * - `redis-sentinel://[:pass@]host:port[,host:port…]/master-name[/db]`: the
 *   master that Sentinel names, followed across failovers by ioredis.
 * Redis Cluster is refused: our shards are chosen by channel on the client side,
 * and cluster-wide `PUBLISH` would reach every cluster node anyway.
 */
export function parseRedisUrl(url: string): RedisOptions | string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    if (!URL.canParse(url)) throw new Error(`invalid Redis URL "${url}"`);
    return url;
  }
  if (scheme === 'redis-cluster') {
    throw new Error(
      'Redis Cluster is not supported: list the instances as separate URLs and Switchboard shards channels over them',
    );
  }
  if (scheme !== 'redis-sentinel')
    throw new Error(`unsupported Redis URL scheme in "${url}" (redis:, rediss: or redis-sentinel:)`);
  const m = SENTINEL.exec(url);
  if (!m?.[3]) throw new Error(`"${url}": name the Sentinel master, as redis-sentinel://host:26379/mymaster`);
  const [, auth, hosts, name, db] = m;
  const password = auth?.includes(':') ? decodeURIComponent(auth.slice(auth.indexOf(':') + 1)) : undefined;
  return {
    sentinels: hosts.split(',').map((h) => {
      const [host, port] = h.split(':');
      return { host, port: port ? Number(port) : 26379 };
    }),
    name,
    ...(password ? { password } : {}),
    ...(db ? { db: Number(db) } : {}),
  };
}

/** A Redis URL fit for logs and banners: the user and password are hidden. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
