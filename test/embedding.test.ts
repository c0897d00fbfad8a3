// Embedding the server in an application's own process: failures it reports must not take the process down.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./fixtures/embedded-unreachable-engine.ts', import.meta.url));

describe('embedding', () => {
  it(
    'attach() with an unreachable engine: start() rejects for the application, the process keeps running, ' +
      'one log line',
    async () => {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--conditions=@switchboard/source', '--import', 'tsx', FIXTURE],
        { timeout: 20_000 },
      );
      assert.deepEqual(stdout.trim().split('\n'), ['start failed: EngineUnavailableError', 'alive']);
      assert.doesNotMatch(stderr, /Unhandled|unhandled/);
    },
  );
});
