// The client bundle sizes quoted in docs/client.md (bytes) and README.md (KB) are the built bundles' sizes:
// scripts/bundle-client.mjs --check rebuilds them and compares, to the rounding each figure is shown with.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';

it('the docs quote the built client bundle sizes', () => {
  const run = spawnSync(process.execPath, ['scripts/bundle-client.mjs', '--size', '--check'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  console.log(run.stdout.trim().replace(/^/gm, '# '));
});
