import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The `switchboard` bin as npm links it for users. */
export const BIN = fileURLToPath(new URL('../../node_modules/.bin/switchboard', import.meta.url));

/** Resolves with the first match of `pattern` in the child's stdout so far. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}; got: ${seen}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/**
 * `switchboard serve ARGS` as a child process, once its banner is out; `base` is its HTTP URL, `nodeId` the node's id.
 * `wrapper` runs it through another command that execs it (same PID), e.g. `ip netns exec NS`.
 */
export async function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  wrapper: string[] = [],
): Promise<{ child: ChildProcess; base: string; nodeId: string }> {
  const [command, ...rest] = [...wrapper, BIN, 'serve', ...args];
  const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const [, nodeId, base] = await waitForLine(child, /node (\w+),[\s\S]*?demo page\s+(https?:\/\/[^\s/]+)\//);
  return { child, base, nodeId };
}

/** Ends a child this test started (SIGTERM, by its handle) and waits for its exit. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
