// Real proxies: Debian's nginx started by the test (own prefix, port; stopped by PID).
// - a corporate proxy that strips Upgrade and buffers unless told otherwise: the demo chat in
//   Chromium falls back and says how; a plain EventSource page resumes with Last-Event-ID, no gap;
// - an idle timeout (proxy_read_timeout, 2 s here instead of the usual 60 s so the test is quick)
//   that a silent SSE stream survives thanks to pings every 1 s; with pings slower than it, cut.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SwitchboardServer } from '@switchboard/server';
import { launchChromium } from './helpers/chromium.js';
import { SseReader } from './helpers/http-transport-peers.js';
import { hs, SECRET } from './helpers/jwt.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { startServe, stopChild } from './helpers/process.js';

const API_KEY = 'proxy-test-api-key-0123456789';

/** The corporate proxy: Upgrade and Connection stripped, HTTP/1.1 to the backend, buffering on (the default). */
const corporate = (backend: string) => `
  server {
    listen 127.0.0.1:{{PORT}};
    location / {
      proxy_pass ${backend};
      proxy_http_version 1.1;
      proxy_set_header Upgrade "";
      proxy_set_header Connection "";
      proxy_buffering on;
      proxy_read_timeout 60s;
    }
  }`;

describe('behind nginx', { timeout: 90_000 }, () => {
  let serve: ChildProcess;
  let proxy: Nginx;
  let browser: Browser;
  before(async () => {
    const config = join(tmpdir(), `sb-proxy-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        allowAnonymous: true,
        jwt: { queryParam: 'token' },
        namespaces: {
          chat: { history: { size: 100, ttlMs: 3_600_000 }, presence: true, joinLeave: true, allowPublish: true },
          feed: { history: { size: 1000, ttlMs: 600_000 } },
        },
      }),
    );
    let base: string;
    ({ child: serve, base } = await startServe(['--port', '0', '--api-key', API_KEY, '--config', config], {
      ...process.env,
      SWITCHBOARD_JWT_SECRET: SECRET,
    }));
    proxy = await startNginx(corporate(base));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await stopChild(serve);
  });

  const api = (method: string, body: unknown) =>
    fetch(`${proxy.base}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('the upgrade really is refused through the proxy (the backend never sees Upgrade)', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write(
      'GET /connection/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    const status = head.toString().split('\r\n')[0];
    assert.doesNotMatch(status, / 101 /);
    console.log(`WebSocket upgrade through the corporate proxy: "${status}"`);
  });

  it(
    'Chromium: the demo chat works behind the ' + 'Upgrade-stripping proxy and reports its fallback transport',
    async () => {
      const join = async (name: string): Promise<Page> => {
        const page = await browser.newPage();
        await page.goto(`${proxy.base}/`);
        await page.fill('#name', name);
        await page.click('#join');
        await page.waitForSelector('#status:has-text("connected to chat:lobby via")', { timeout: 10_000 });
        return page;
      };
      const alice = await join('alice');
      const bob = await join('bob');
      const status = await alice.textContent('#status');
      assert.match(status!, /via (http-stream|sse|long-poll)$/);
      console.log(`demo behind the Upgrade-stripping nginx: "${status}"`);
      await alice.waitForSelector('#presence li:has-text("bob")');
      await alice.fill('#text', 'through the corporate proxy');
      await alice.click('#send');
      await bob.waitForSelector('#messages li:has-text("through the corporate proxy")');
      await bob.fill('#text', 'and back');
      await bob.click('#send');
      await alice.waitForSelector('#messages li:has-text("and back")');
      await alice.close();
      await bob.close();
    },
  );

  it('Chromium: the SDK on SSE emulation and on long-polling, through the same proxy, both ways', async () => {
    const page = await browser.newPage();
    await page.goto(`${proxy.base}/`);
    for (const transport of ['sse', 'long-poll']) {
      const result = await page.evaluate(async (transport) => {
        const { Client } = (await import('/client.js')) as typeof import('@switchboard/client');
        const client = new Client(`ws://${location.host}/connection/websocket`, { transports: [transport as 'sse'] });
        const got: unknown[] = [];
        const connected = new Promise<string>((resolve) => client.on('connected', (e) => resolve(e.transport)));
        client.subscribe(`chat:${transport}`).on('publication', (p) => got.push(p.data));
        client.connect();
        const used = await connected;
        for (let i = 1; i <= 5; i++) await client.publish(`chat:${transport}`, i);
        while (got.length < 5) await new Promise((r) => setTimeout(r, 20));
        client.disconnect();
        return { used, got };
      }, transport);
      assert.deepEqual(result, { used: transport, got: [1, 2, 3, 4, 5] });
    }
    await page.close();
  });

  it(
    'Chromium: a plain EventSource page resumes with ' + 'Last-Event-ID after the server drops its stream, with no gap',
    async () => {
      const token = await hs({ sub: 'reader' }, { issuer: null, audience: null });
      const page = await browser.newPage();
      // A page of the proxy's origin, with nothing but EventSource on it.
      await page.route(`${proxy.base}/es.html`, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>es</title>' }),
      );
      await page.goto(`${proxy.base}/es.html`);
      await page.evaluate((token) => {
        const w = window as unknown as { got: number[]; opens: number; ids: string[] };
        w.got = [];
        w.opens = 0;
        w.ids = [];
        const es = new EventSource(`/connection/sse?channel=feed:es&token=${token}`);
        es.addEventListener('connected', () => w.opens++);
        es.onmessage = (e) => {
          w.got.push((JSON.parse(e.data) as { pub: { data: number } }).pub.data);
          w.ids.push(e.lastEventId);
        };
      }, token);
      await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 1);
      for (let i = 1; i <= 5; i++) assert.equal((await api('publish', { channel: 'feed:es', data: i })).status, 200);
      await page.waitForFunction(() => (window as unknown as { got: number[] }).got.length === 5);
      // The server ends the stream; publications go on while the browser is away.
      assert.equal((await api('disconnect', { user: 'reader' })).status, 200);
      for (let i = 6; i <= 15; i++) await api('publish', { channel: 'feed:es', data: i });
      await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 2, undefined, {
        timeout: 10_000,
      });
      for (let i = 16; i <= 20; i++) await api('publish', { channel: 'feed:es', data: i });
      await page.waitForFunction(() => (window as unknown as { got: number[] }).got.length >= 20);
      const got = await page.evaluate(() => (window as unknown as { got: number[] }).got);
      assert.deepEqual(
        got,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      console.log(`EventSource resumed after the drop: ${got.join(',')}`);
      await page.close();
    },
  );
});

describe('an idle timeout at the proxy', { timeout: 30_000 }, () => {
  const servers: SwitchboardServer[] = [];
  const proxies: Nginx[] = [];
  after(async () => {
    for (const p of proxies) await p.stop();
    for (const s of servers) await s.close();
  });

  /** A server pinging every `pingIntervalMs`, behind nginx with a 2 s read timeout. */
  const behindIdleTimeout = async (pingIntervalMs: number) => {
    const server = new SwitchboardServer({
      allowAnonymous: true,
      pingIntervalMs,
      pongTimeoutMs: Math.floor(pingIntervalMs / 2),
      namespaces: { quiet: {} },
    });
    const { port } = await server.listen(0);
    servers.push(server);
    const proxy = await startNginx(`
      server {
        listen 127.0.0.1:{{PORT}};
        location / { proxy_pass http://127.0.0.1:${port}; proxy_http_version 1.1; proxy_buffering off; \
proxy_read_timeout 2s; }
      }`);
    proxies.push(proxy);
    return { server, proxy };
  };

  it('a silent SSE stream survives 5 s through a 2 s idle timeout with 1 s pings, and still delivers', async () => {
    const { server, proxy } = await behindIdleTimeout(1000);
    const reader = await SseReader.open(`${proxy.base}/connection/sse?channel=quiet:a`);
    await reader.until((e) => e.some((x) => x.event === 'connected'));
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(reader.ended, false);
    await server.publish('quiet:a', 'after the silence');
    await reader.until(() => reader.publications('quiet:a').length === 1);
    reader.close();
  });

  it('control: with pings slower than the timeout, the proxy cuts the same stream', async () => {
    const { proxy } = await behindIdleTimeout(10_000);
    const reader = await SseReader.open(`${proxy.base}/connection/sse?channel=quiet:b`);
    await reader.until((e) => e.some((x) => x.event === 'connected'));
    const started = Date.now();
    while (!reader.ended && Date.now() - started < 6000) await new Promise((r) => setTimeout(r, 100));
    assert.equal(reader.ended, true, 'nginx ended the silent stream');
    assert.ok(Date.now() - started >= 1500, `cut after ${Date.now() - started} ms`);
  });
});
