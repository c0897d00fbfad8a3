// serve's logs: JSON lines (pino) with the node id on every line and the client id, user and transport on connection
// lines, at the level asked; and no token, cookie or API key in any line at any level (trace), whatever path a
// credential took: a JWT in `connect`, in a cookie or in the URL, a bad JWT, the API key right or wrong, cookies
// forwarded to a failing backend proxy.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { TestClient } from '@switchboard/testing';
import { startBackend, type Backend } from './helpers/backend.js';
import { SECRET, hs } from './helpers/jwt.js';
import { BIN, stopChild, waitForLine } from './helpers/process.js';
import { spawn, type ChildProcess } from 'node:child_process';

const API_KEY = 'logs-test-api-key-0123456789-SECRETKEY';
const WRONG_KEY = 'logs-test-wrong-key-0123456789-WRONGKEY';
const COOKIE_SECRET = 'cookie-value-SECRETCOOKIE-42';

/** Opens a WebSocket with our own headers (cookies), sends `connect`, and waits for the reply. */
async function rawConnect(url: string, headers: Record<string, string>, params: object): Promise<WebSocket> {
  const ws = new WebSocket(url, 'switchboard.v1.json', { headers });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const reply = new Promise((resolve) => ws.once('message', resolve));
  ws.send(JSON.stringify({ id: 1, method: 'connect', params }));
  await reply;
  return ws;
}

describe('serve logs', () => {
  let child: ChildProcess | undefined;
  let backend: Backend | undefined;
  after(async () => {
    await stopChild(child);
    await backend?.close();
  });

  it('JSON lines with node, level and connection fields; no token, cookie or API key at any level', {
    timeout: 30_000,
  }, async () => {
    backend = await startBackend((_req, res) => void res.writeHead(503).end());
    const config = join(tmpdir(), `sb-logs-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        apiKey: API_KEY,
        jwt: { secret: SECRET, cookie: 'sb_token', queryParam: 'token' },
        namespaces: { chat: { presence: true, allowPublish: true } },
        proxy: {
          rpc: { url: `${backend.url}/rpc` },
          cookies: ['sid', 'sb_token'],
          headers: ['authorization', 'x-trace'],
        },
      }),
    );
    child = spawn(BIN, ['serve', '--port', '0', '--config', config, '--log-level', 'trace'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const [, base] = await waitForLine(child, /demo page\s+(http:\/\/127\.0\.0\.1:\d+)\//);
    const ws = `${base.replace('http', 'ws')}/connection/websocket`;
    const secrets = [API_KEY, WRONG_KEY, COOKIE_SECRET];
    const token = (sub: string) => hs({ sub }, { issuer: null, audience: null }).then((t) => (secrets.push(t), t));

    // A JWT in connect; a client that publishes, calls the (failing) RPC proxy and leaves.
    const a = await TestClient.open(ws);
    await a.connect({ token: await token('ann') });
    await a.command('subscribe', { channel: 'chat:x' });
    await a.command('rpc', { method: 'm', data: null }).catch(() => {});
    // A JWT and a session id in cookies, an Authorization header forwarded to the proxy.
    const b = await rawConnect(
      ws,
      { cookie: `sb_token=${await token('bob')}; sid=${COOKIE_SECRET}`, authorization: `Bearer ${COOKIE_SECRET}` },
      {},
    );
    b.send(JSON.stringify({ id: 2, method: 'rpc', params: { method: 'm', data: null } }));
    await sleep(200);
    // A JWT in the URL; an invalid JWT (its signature is wrong, its claims readable).
    const c = await TestClient.open(`${ws}?token=${encodeURIComponent(await token('cy'))}`);
    await c.connect({});
    const forged = (await token('eve')).replace(/\.[^.]+$/, '.AAAA');
    secrets.push(forged);
    const d = await TestClient.open(ws);
    await d.connect({ token: forged }).catch(() => {});
    // The API key, right and wrong.
    for (const key of [API_KEY, WRONG_KEY]) {
      await fetch(`${base}/api/publish`, {
        method: 'POST',
        headers: { authorization: `apikey ${key}` },
        body: JSON.stringify({ channel: 'chat:x', data: 1 }),
      });
    }
    await a.close();
    b.close();
    await c.close();
    await sleep(300);
    await stopChild(child);

    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const secret of secrets) {
      const leak = out.split('\n').find((l) => l.includes(secret) || l.includes(secret.slice(-20)));
      assert.equal(leak, undefined, `a credential is in the output: ${leak}`);
    }
    assert.ok(entries.length >= 10, `only ${entries.length} JSON lines`);
    assert.ok(
      entries.every(
        (e) =>
          typeof e.node === 'string' &&
          typeof e.level === 'string' &&
          typeof e.msg === 'string' &&
          typeof e.time === 'number',
      ),
    );
    const msgs = entries.map((e) => `${e.level} ${e.msg}`);
    for (const expected of [
      'debug connection accepted',
      'debug connection closed',
      'info connection refused: invalid token',
      'warn backend proxy request failed',
      'info drain started',
    ]) {
      assert.ok(msgs.includes(expected), `no "${expected}" line in:\n${msgs.join('\n')}`);
    }
    const accepted = entries.find((e) => e.msg === 'connection accepted' && e.user === 'bob')!;
    assert.deepEqual([typeof accepted.clientId, accepted.transport], ['string', 'websocket']);
    console.log(
      `# ${entries.length} JSON lines at trace level, ${secrets.length} credentials checked, none found; ` +
        `levels: ${[...new Set(entries.map((e) => e.level))].join(', ')}`,
    );
  });

  it('--log-level and SWITCHBOARD_LOG_LEVEL choose the level; a bad one is a usage error', async () => {
    const quiet = spawn(BIN, ['serve', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn' },
    });
    let text = '';
    quiet.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    await waitForLine(quiet, /demo page/);
    await sleep(200);
    await stopChild(quiet);
    assert.ok(!text.includes('"msg":"listening"'), 'info lines are off at warn');
    const bad = spawn(BIN, ['serve', '--port', '0', '--log-level', 'loud'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((resolve) => bad.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /log level must be one of trace, debug, info, warn, error, fatal, silent/);
  });
});
