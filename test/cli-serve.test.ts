// `serve` as the CLI sets it up: the demo page only where its namespace is, --no-demo, the banner's
// ready-to-paste lines, /metrics protected off loopback, SWITCHBOARD_HOST, --help and --version
// from the schema.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SERVE_OPTIONS } from '../packages/cli/src/commands/serve-options.js';
import { BIN, stopChild, waitForLine } from './helpers/process.js';

const API_KEY = 'cli-serve-test-key-0123456789';

/** `serve ARGS` once its whole banner is out: the banner, and its base URL. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn(BIN, ['serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
  });
  const [banner] = await waitForLine(child, /^switchboard serve:[\s\S]*^ {2}anonymous .*$/m);
  const base = /demo page +(https?:\/\/[^\s/]+)\//.exec(banner)![1];
  return { child, base, banner };
}

describe('switchboard serve', { timeout: 60_000 }, () => {
  it('serves the demo with its namespace, and prints ready-to-paste key and publish lines that work', async () => {
    const node = await serve([]);
    const out = node.banner;
    try {
      assert.equal((await fetch(`${node.base}/`)).status, 200);
    } finally {
      await stopChild(node.child);
    }
    const key = /^ {2}try it {8}export SWITCHBOARD_API_KEY=(\S+)$/m.exec(out)?.[1];
    assert.ok(key, out);
    assert.match(
      out,
      new RegExp(
        String.raw`^ {16}curl -X POST http://127\.0\.0\.1:\d+/api/publish ` +
          String.raw`-H "Authorization: apikey \$SWITCHBOARD_API_KEY" ` +
          String.raw`-d '\{"channel":"chat:lobby","data":\{"text":"hi"\}\}'$`,
        'm',
      ),
    );
    assert.match(out, /metrics +http:\/\/127\.0\.0\.1:\d+\/metrics {2}\(open: no credentials needed\)/);
  });

  it('the printed curl line publishes', async () => {
    const node = await serve(['--api-key', API_KEY]);
    try {
      const res = await fetch(`${node.base}/api/publish`, {
        method: 'POST',
        headers: { authorization: `apikey ${API_KEY}` },
        body: '{"channel":"chat:lobby","data":{"text":"hi"}}',
      });
      assert.equal(res.status, 200);
    } finally {
      await stopChild(node.child);
    }
  });

  it('--no-demo and SWITCHBOARD_DEMO=false: / and the bundles answer 404', async () => {
    for (const [args, env] of [
      [['--no-demo'], {}],
      [[], { SWITCHBOARD_DEMO: 'false' }],
    ] as const) {
      const node = await serve([...args], env);
      try {
        const page = await fetch(`${node.base}/`);
        assert.equal(page.status, 404);
        assert.match(await page.text(), /no demo page: turned off/);
        assert.equal((await fetch(`${node.base}/client.js`)).status, 404);
        assert.equal((await fetch(`${node.base}/health`)).status, 200);
      } finally {
        await stopChild(node.child);
      }
    }
  });

  it('a config without the chat namespace: / says why there is no demo, and so does the banner', async () => {
    const config = join(tmpdir(), `sb-cli-serve-${process.pid}.json`);
    writeFileSync(config, JSON.stringify({ apiKey: API_KEY, namespaces: { room: {} } }));
    const node = await serve(['--config', config]);
    try {
      const page = await fetch(`${node.base}/`);
      assert.equal(page.status, 404);
      assert.match(await page.text(), /the config has no "chat" namespace/);
      assert.equal((await fetch(`${node.base}/client.js`)).status, 200, 'the client bundle is still served');
    } finally {
      await stopChild(node.child);
    }
    assert.match(
      node.banner,
      /demo page +http:\/\/\S+\/ {2}\(off: the config has no "chat" namespace, which the demo uses\)/,
    );
    assert.match(node.banner, /"channel":"room:lobby"/, 'the curl line publishes to the first namespace');
    assert.doesNotMatch(node.banner, /export SWITCHBOARD_API_KEY/, 'a key that was set is not printed');
  });

  it('SWITCHBOARD_HOST=0.0.0.0 binds every interface, and /metrics then needs the API key', async () => {
    const node = await serve(['--api-key', API_KEY], { SWITCHBOARD_HOST: '0.0.0.0' });
    try {
      assert.match(node.base, /^http:\/\/0\.0\.0\.0:\d+$/);
      const local = node.base.replace('0.0.0.0', '127.0.0.1');
      assert.equal((await fetch(`${local}/metrics`)).status, 401);
      assert.equal((await fetch(`${local}/metrics`, { headers: { authorization: `apikey ${API_KEY}` } })).status, 200);
    } finally {
      await stopChild(node.child);
    }
  });

  it('--help lists every flag and variable of the schema; --version prints the package version', () => {
    const help = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const s of Object.values(SERVE_OPTIONS) as { flag?: string; env?: string }[]) {
      if (s.flag) assert.match(help.stdout, new RegExp(`^ {2}--${s.flag}\\b`, 'm'), s.flag);
      if (s.env) assert.match(help.stdout, new RegExp(`^ {2}${s.env}\\b`, 'm'), s.env);
    }
    const { version } = JSON.parse(readFileSync(new URL('../packages/cli/package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const args of [['--version'], ['-v'], ['serve', '--version']]) {
      const result = spawnSync(BIN, args, { encoding: 'utf8' });
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `switchboard ${version}\n`);
    }
  });
});
