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

/** `switchboard serve ARGS` as a child process, once its banner is out; `base` is its HTTP URL, `nodeId` the node's id. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; base: string; nodeId: string }> {
  const child = spawn(BIN, ['serve', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const [, nodeId, base] = await waitForLine(child, /node (\w+),[\s\S]*?demo page\s+(https?:\/\/127\.0\.0\.1:\d+)\//);
  return { child, base, nodeId };
}

/** Ends a child this test started (SIGTERM, by its handle) and waits for its exit. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
