// Where the credential travels, over real sockets: a cookie (with the Origin check on by default against
// cross-site WebSocket hijacking), a query parameter (redacted in every log line), and `switchboard token` /
// `serve` with SWITCHBOARD_JWT_SECRET from the CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createServer, type Logger, type SwitchboardServer } from '@switchboard/server';
import { TestClient, startTestServer, type TestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { BIN, stopChild, waitForLine } from './helpers/process.js';
import { SECRET, connectOutcome, hs } from './helpers/jwt.js';
import { rawRequest, readUntil, upgradeRequest } from './helpers/raw-peer.js';

const noIss = { issuer: null, audience: null };

/** The status line of an opening handshake to the WebSocket path with these headers. */
async function handshakeStatus(
  port: number,
  headers: Record<string, string | null>,
  target = '/connection/websocket',
): Promise<string> {
  const request = upgradeRequest({ Host: `127.0.0.1:${port}`, ...headers }).replace('GET / ', `GET ${target} `);
  const socket = await rawRequest(port, request);
  const head = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
  socket.destroy();
  return head.toString('latin1').split('\r\n')[0];
}

/** Connects with extra handshake headers, sends `connect` (no token), and returns the reply or the close code. */
async function connectWithHeaders(
  url: string,
  options: { headers?: Record<string, string>; origin?: string },
): Promise<string> {
  const ws = new WebSocket(url, 'switchboard.v1.json', options);
  return new Promise((resolve) => {
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
    ws.onmessage = (e: MessageEvent) => {
      const reply = JSON.parse(String(e.data));
      resolve(reply.result ? `user ${reply.result.user}` : `reply ${reply.error.code}`);
      ws.close();
    };
    ws.onclose = (e: CloseEvent) => resolve(`disconnect ${e.code}`);
  });
}

describe('credentials in the handshake', { timeout: 60_000 }, () => {
  let cookieServer: TestServer;
  let port: number;
  before(async () => {
    cookieServer = await startTestServer({ allowAnonymous: false, jwt: { secret: SECRET, cookie: 'sb_token' } });
    port = Number(new URL(cookieServer.url).port);
  });
  after(() => cookieServer.close());

  it('cookie auth: a foreign Origin gets 403 at the handshake; the same origin and no Origin get 101', async () => {
    assert.equal(await handshakeStatus(port, { Origin: 'http://evil.example' }), 'HTTP/1.1 403 Forbidden');
    assert.equal(
      await handshakeStatus(port, { Origin: `http://127.0.0.1:${port + 1}` }),
      'HTTP/1.1 403 Forbidden',
      'another port is another origin',
    );
    assert.equal(await handshakeStatus(port, { Origin: 'null' }), 'HTTP/1.1 403 Forbidden');
    assert.equal(
      await handshakeStatus(port, { Origin: `http://127.0.0.1:${port}` }),
      'HTTP/1.1 101 Switching Protocols',
    );
    assert.equal(await handshakeStatus(port, {}), 'HTTP/1.1 101 Switching Protocols', 'no Origin: not a browser');
  });

  it(
    'cookie auth: the cookie authenticates a connect without a token; ' +
      'a token in connect wins; a bad cookie is 3500',
    async () => {
      const origin = `http://127.0.0.1:${port}`;
      const cookie = `theme=dark; sb_token=${await hs({ sub: 'alice' }, noIss)}`;
      assert.equal(await connectWithHeaders(cookieServer.url, { origin, headers: { cookie } }), 'user alice');
      assert.equal(
        await connectWithHeaders(cookieServer.url, { origin, headers: { cookie: 'sb_token=forged.x.y' } }),
        'disconnect 3500',
      );
      assert.equal(await connectWithHeaders(cookieServer.url, { origin }), 'disconnect 3502', 'no cookie, no token');
      assert.equal(
        await connectWithHeaders(`${cookieServer.url}?token=${await hs({ sub: 'q' }, noIss)}`, {}),
        'disconnect 3502',
        'query tokens are off unless configured',
      );
      const client = await TestClient.open(cookieServer.url);
      assert.equal((await client.connect({ token: await hs({ sub: 'bob' }, noIss) })).user, 'bob');
      await client.close();
    },
  );

  it('allowedOrigins decides without cookies too: listed origins only', async () => {
    const t = await startTestServer({ allowedOrigins: ['http://app.example'] });
    const p = Number(new URL(t.url).port);
    assert.equal(await handshakeStatus(p, { Origin: 'http://app.example' }), 'HTTP/1.1 101 Switching Protocols');
    assert.equal(await handshakeStatus(p, { Origin: `http://127.0.0.1:${p}` }), 'HTTP/1.1 403 Forbidden');
    assert.equal(await handshakeStatus(p, {}), 'HTTP/1.1 101 Switching Protocols');
    await t.close();
  });
});

describe('query-parameter tokens', { timeout: 30_000 }, () => {
  const lines: string[] = [];
  const record = (level: string) => (fields: object, message: string) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  const logger: Logger = { info: record('info'), warn: record('warn'), error: record('error') };
  let server: SwitchboardServer;
  let url: string;
  before(async () => {
    server = createServer(
      { jwt: { secret: SECRET, queryParam: 'token' }, allowedOrigins: ['http://app.example'] },
      logger,
    );
    const { port } = await server.listen(0);
    url = `ws://127.0.0.1:${port}/connection/websocket`;
  });
  after(() => server.close());

  it('authenticate from the URL, and never appear in a log line', async (t) => {
    const good = await hs({ sub: 'carol' }, noIss);
    const bad = await hs({ sub: 'mallory' }, noIss, 'another-secret-0123456789-0123456789');
    assert.equal(await connectOutcome(`${url}?token=${good}`, undefined), 'user carol');
    assert.equal(await connectOutcome(`${url}?v=2&token=${bad}`, undefined), 'disconnect 3500');
    const port = server.address!.port;
    assert.equal(
      await handshakeStatus(port, { Origin: 'http://evil.example' }, `/connection/websocket?token=${good}`),
      'HTTP/1.1 403 Forbidden',
    );

    for (const line of lines) t.diagnostic(`log: ${line}`);
    assert.ok(
      lines.some(
        (l) => l.includes('connection refused: invalid token') && l.includes('?v=[redacted]&token=[redacted]'),
      ),
      'the refusal is logged, redacted',
    );
    assert.ok(
      lines.some((l) => l.includes('handshake refused: origin not allowed') && l.includes('?token=[redacted]')),
      'the 403 is logged, redacted',
    );
    for (const token of [good, bad]) {
      const signature = token.split('.')[2];
      assert.ok(!lines.some((l) => l.includes(signature)), 'no token in any log line');
    }
  });
});

describe('switchboard token and serve', { timeout: 60_000 }, () => {
  const token = (...args: string[]) => {
    const run = spawnSync(BIN, ['token', ...args], {
      encoding: 'utf8',
      env: { ...process.env, SWITCHBOARD_JWT_SECRET: '' },
    });
    return { status: run.status, out: run.stdout.trim(), err: run.stderr.trim() };
  };

  it('prints HS256 tokens that a server with the same secret accepts, and refuses bad arguments', async () => {
    const t = await startTestServer({
      allowAnonymous: false,
      jwt: { secret: SECRET },
      namespaces: { vip: { allowSubscribe: 'token' } },
    });
    const conn = token('--secret', SECRET, '--sub', 'dave', '--ttl', '60', '--info', '{"name":"Dave"}');
    assert.equal(conn.status, 0, conn.err);
    const client = await t.client({ token: conn.out });
    assert.equal(client.connected!.user, 'dave');
    assert.ok(client.connected!.expiresAt! - Date.now() <= 61_000);
    const sub = token('--secret', SECRET, '--sub', 'dave', '--channel', 'vip:lounge');
    await client.command('subscribe', { channel: 'vip:lounge', token: sub.out });
    await client.close();
    await t.close();

    assert.deepEqual(token('--sub', 'x'), {
      status: 2,
      out: '',
      err: 'switchboard: token needs --secret S or SWITCHBOARD_JWT_SECRET',
    });
    assert.equal(
      token('--secret', 'short', '--sub', 'x').err,
      'switchboard: the secret must be at least 32 characters',
    );
    assert.equal(token('--secret', SECRET).err, 'switchboard: token needs --sub USER');
    assert.match(token('--secret', SECRET, '--sub', 'x', '--info', '{nope').err, /--info must be JSON/);
  });

  it('serve takes SWITCHBOARD_JWT_SECRET, and shows it in the banner', async () => {
    const env = { ...process.env, SWITCHBOARD_JWT_SECRET: SECRET, SWITCHBOARD_ALLOW_ANONYMOUS: 'false' };
    const child = spawn(BIN, ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env });
    try {
      const [, base, jwt, anonymous] = await waitForLine(
        child,
        /demo page\s+(http:\/\/127\.0\.0\.1:\d+)\/[\s\S]*\n\s+jwt\s+(.*)\n\s+anonymous\s+(.*)\n/,
      );
      assert.deepEqual([jwt, anonymous], ['HS256; token in connect', 'refused']);
      const url = `${base.replace('http', 'ws')}/connection/websocket`;
      assert.equal(await connectOutcome(url, token('--secret', SECRET, '--sub', 'erin').out), 'user erin');
      assert.equal(await connectOutcome(url, undefined), 'disconnect 3502');
    } finally {
      await stopChild(child);
    }
  });
});
