// The core must stay sans-I/O: no Node imports, no sockets, no timers. Enforced by compiling it
// against the browser's library with no @types/node, and by scanning its sources.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('sans-I/O core', () => {
  it('type-checks with lib es2022 + dom and no @types/node', () => {
    const tsconfig = JSON.parse(readFileSync(join(pkg, 'tsconfig.json'), 'utf8'));
    assert.deepEqual(tsconfig.compilerOptions.types, []);
    assert.deepEqual(tsconfig.compilerOptions.lib, ['es2022', 'dom']);
    const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
    execFileSync(
      process.execPath,
      [tsc, '-p', pkg, '--noEmit', '--composite', 'false', '--declaration', 'false', '--declarationMap', 'false'],
      {
        stdio: 'pipe',
      },
    );
  });

  it('imports nothing from Node and uses no timers, sockets or process state', () => {
    for (const file of sources(join(pkg, 'src'))) {
      const code = readFileSync(file, 'utf8');
      for (const banned of [
        /from ['"]node:/,
        /require\(/,
        /\bsetTimeout\b/,
        /\bsetInterval\b/,
        /\bprocess\./,
        /\bBuffer\b/,
        /\bfetch\(/,
      ]) {
        assert.doesNotMatch(code, banned, `${file} uses ${banned}`);
      }
    }
  });
});
