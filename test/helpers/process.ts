import type { ChildProcess } from 'node:child_process';
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
