// The packages as a user gets them: every workspace packed with `npm pack`, the tarballs installed
// into fresh apps outside the repository (third-party dependencies from the registry or npm's cache),
// and packages/server/README.md's example run there as written, on the built files alone. An app
// that installs only the client (and the wire package it depends on) gets no native add-on.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = new URL('..', import.meta.url).pathname;
const INSTALL = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** The environment without the `npm_*` variables of the `npm test` around us (its config, its package). */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (result.error) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(
    result.status,
    0,
    `${what} failed (${result.signal ?? result.status}):\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** The first fenced block of `lang` in a file. */
function firstBlock(file: string, lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readFileSync(join(ROOT, file), 'utf8'));
  assert.ok(m, `${file} has a ${lang} block`);
  return m[1];
}

function newApp(dir: string, name: string): string {
  const app = join(dir, name);
  mkdirSync(app);
  // msgpackr-extract's install script only builds when no prebuilt binary loads: not needed (see README).
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', allowScripts: { 'msgpackr-extract': false } }, null, 2),
  );
  return app;
}

describe('the packed packages, installed into a fresh app', { timeout: 300_000 }, () => {
  let dir: string;
  const tarballs = new Map<string, string>(); // package name → tarball path
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-packed-'));
    const out = ok(
      run('npm', ['pack', '--workspaces', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT),
      'npm pack',
    );
    const packed = JSON.parse(out) as { name: string; filename: string; files: { path: string }[] }[];
    for (const p of packed) {
      tarballs.set(p.name, join(dir, p.filename));
      const files = new Set(p.files.map((f) => f.path));
      for (const must of ['package.json', 'README.md', 'LICENSE'])
        assert.ok(files.has(must), `${p.name}'s tarball has ${must}`);
      assert.ok(
        [...files].some((f) => f.startsWith('dist/')),
        `${p.name}'s tarball has dist/ (built)`,
      );
    }
    assert.ok(
      tarballs.get('@switchboard/client') &&
        packed
          .find((p) => p.name === '@switchboard/client')!
          .files.some((f) => f.path === 'dist/switchboard-client.min.js'),
      'the client tarball has its browser bundle',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('packs every workspace, each with its LICENSE, README and build', () => {
    const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] })
      .workspaces;
    const names = workspaces.map(
      (w) => (JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8')) as { name: string }).name,
    );
    assert.deepEqual([...tarballs.keys()].sort(), names.sort());
    console.log(
      `# packed ${tarballs.size} packages: ${[...tarballs.values()].map((t) => t.slice(dir.length + 1)).join(' ')}`,
    );
  });

  it("runs packages/server/README.md's example (a server, and a client that receives a publication)", () => {
    const app = newApp(dir, 'app');
    const started = Date.now();
    ok(run('npm', ['install', ...tarballs.values(), ...INSTALL], app), 'npm install (every tarball)');
    console.log(`# npm install of ${tarballs.size} tarballs: ${Date.now() - started} ms`);
    writeFileSync(
      join(app, 'readme.mjs'),
      firstBlock('packages/server/README.md', 'js').replace('server.listen(8000)', 'server.listen(0)'),
    );
    const stdout = ok(run(process.execPath, ['readme.mjs'], app, 30_000), 'the README example');
    assert.match(stdout, /^received \{ text: 'hello' \}$/m);
    console.log(`# README example printed: ${stdout.trim()}`);

    // The CLI package as a library runs nothing on import; its bin runs the command.
    const imported = ok(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const cli = await import('@switchboard/cli'); console.log(Object.keys(cli).sort().join(','));",
        ],
        app,
        30_000,
      ),
      'import @switchboard/cli',
    );
    assert.equal(imported.trim(), 'StartupError,UsageError,main,run');
    assert.match(
      ok(run(join(app, 'node_modules/.bin/switchboard'), ['--help'], app, 30_000), 'switchboard --help'),
      /^Usage: switchboard <command>/,
    );

    // CommonJS apps can require() the ESM packages on every Node the engines range allows (require(esm):
    // unflagged in 20.19 and 22.12, which is why the range starts there).
    const required = ok(
      run(
        process.execPath,
        [
          '-e',
          "for (const p of ['server', 'client', 'websocket', 'testing']) require('@switchboard/' + p);" +
            " console.log('required');",
        ],
        app,
        30_000,
      ),
      'require()',
    );
    assert.equal(required.trim(), 'required');
  });

  it('an app with only the client (and wire) has no msgpackr, so no native add-on', () => {
    const app = newApp(dir, 'client-only');
    ok(
      run(
        'npm',
        ['install', tarballs.get('@switchboard/client')!, tarballs.get('@switchboard/wire')!, ...INSTALL],
        app,
      ),
      'npm install (client)',
    );
    const ls = run('npm', ['ls', 'msgpackr-extract', '--all'], app);
    assert.match(ls.stdout, /\(empty\)/, ls.stdout);
    assert.doesNotMatch(run('npm', ['ls', '--all', '--parseable'], app).stdout, /msgpackr/);
    console.log(`# npm ls msgpackr-extract --all in the client-only app:\n${ls.stdout.trim().replace(/^/gm, '#   ')}`);
    const imported = ok(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const { Client } = await import('@switchboard/client'); console.log(typeof Client);",
        ],
        app,
        30_000,
      ),
      'import @switchboard/client',
    );
    assert.equal(imported.trim(), 'function');
    // The MessagePack entry point names the optional peer it needs.
    const msgpack = run(
      process.execPath,
      ['--input-type=module', '-e', "await import('@switchboard/client/msgpack');"],
      app,
      30_000,
    );
    assert.notEqual(msgpack.status, 0);
    assert.match(msgpack.stderr, /msgpackr/);
  });
});
