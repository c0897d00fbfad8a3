import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors a node needs besides its connections: engine links, the listener, logs, backend keep-alive sockets. */
const DESCRIPTOR_HEADROOM = 128;

/**
 * The process's soft limit on open files (`ulimit -n`): from /proc/self/limits
 * on Linux, else from a shell (which inherits it). `Infinity` when unlimited,
 * `undefined` when it cannot be read.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft !== undefined) return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    // Not Linux: ask a shell.
  }
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout?.trim();
  if (!out) return undefined;
  return out === 'unlimited' ? Infinity : Number(out) || undefined;
}

/**
 * The start-up warning when the limit cannot hold `maxConnections`, with the fix; undefined when it can (or no limit is
 * configured).
 */
export function openFileWarning(limit: number | undefined, maxConnections: number): string | undefined {
  if (maxConnections === 0 || limit === undefined || limit >= maxConnections + DESCRIPTOR_HEADROOM) return undefined;
  const want = maxConnections + DESCRIPTOR_HEADROOM;
  return (
    `open-file limit (ulimit -n) is ${limit}, below maxConnections ${maxConnections} + ${DESCRIPTOR_HEADROOM}: ` +
    `connections beyond ~${Math.max(0, limit - DESCRIPTOR_HEADROOM)} will fail (EMFILE). ` +
    `Raise it to at least ${want}: \`ulimit -n ${want}\` in the shell that starts serve, LimitNOFILE=${want} ` +
    `(systemd), --ulimit nofile=${want}:${want} (docker)`
  );
}
