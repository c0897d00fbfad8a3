// docs/testing.md's example runs as written: it is extracted, run with node --test, and must pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('docs/testing.md', () => {
  it('runs the ChannelTest example as written', () => {
    const doc = readFileSync(new URL('../docs/testing.md', import.meta.url), 'utf8');
    const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc);
    assert.ok(example, 'an example block');
    mkdirSync('test-output', { recursive: true });
    writeFileSync('test-output/docs-testing.test.ts', example[1]);
    // Without NODE_TEST_CONTEXT the child is a test run of its own, not a subtest of this one.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=@switchboard/source',
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        'test-output/docs-testing.test.ts',
      ],
      { encoding: 'utf8', timeout: 60_000, env },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /ℹ pass 2/);
    console.log(
      `# ${run.stdout
        .split('\n')
        .filter((l) => l.includes('✔'))
        .join('\n# ')}`,
    );
  });
});
