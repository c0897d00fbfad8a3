// Cross-site WebSocket hijacking, in a real browser: Chromium holds the user's auth cookie for 127.0.0.1, which it
// sends with a WebSocket opened by any page (cookies ignore ports). A page of the server's own origin connects as
// the user; a page of another origin (another port) is refused with 403 at the handshake and never opens, while a
// server that allows that origin lets the same page in as the user: the check is the defence.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { createServer, type Logger, type SwitchboardServer } from '@switchboard/server';
import { launchChromium } from './helpers/chromium.js';
import { SECRET, hs } from './helpers/jwt.js';

const PAGE = '<!doctype html><title>page</title>';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('Origin check in Chromium (cookie authentication)', { timeout: 90_000 }, () => {
  const logLines: { message: string; fields: Record<string, unknown> }[] = [];
  const record = (fields: object, message: string) =>
    logLines.push({ message, fields: fields as Record<string, unknown> });
  const logger: Logger = { info: record, warn: record, error: record };
  let switchboard: SwitchboardServer;
  let appHttp: Server;
  let foreignHttp: Server;
  let appPort: number;
  let foreignPort: number;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    switchboard = createServer({ allowAnonymous: false, jwt: { secret: SECRET, cookie: 'sb_token' } }, logger);
    // The application's own origin serves the page and the WebSocket endpoint.
    appHttp = createHttpServer((req, res) => {
      if (!switchboard.handleRequest(req, res)) res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    switchboard.attach(appHttp);
    await switchboard.start();
    appPort = await listen(appHttp);
    foreignHttp = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
    foreignPort = await listen(foreignHttp);
    browser = await launchChromium();
    context = await browser.newContext();
    const token = await hs({ sub: 'alice' }, { issuer: null, audience: null });
    await context.addCookies([
      { name: 'sb_token', value: token, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
  });
  after(async () => {
    await browser?.close();
    await switchboard?.close();
    await Promise.all([appHttp, foreignHttp].map((s) => s && new Promise((resolve) => s.close(resolve))));
  });

  /** What a page at `pageUrl` sees when it opens the app's WebSocket and sends `connect` without a token. */
  async function attemptFrom(
    pageUrl: string,
    wsUrl = `ws://127.0.0.1:${appPort}/connection/websocket`,
  ): Promise<string[]> {
    const page = await context.newPage();
    await page.goto(pageUrl);
    const events = await page.evaluate(
      (wsUrl) =>
        new Promise<string[]>((resolve) => {
          const seen: string[] = [];
          const ws = new WebSocket(wsUrl, 'switchboard.v1.json');
          ws.onopen = () => {
            seen.push('open');
            ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
          };
          ws.onmessage = (e) => {
            seen.push(`connected as ${JSON.parse(String(e.data)).result?.user}`);
            ws.close(1000);
          };
          ws.onerror = () => seen.push('error');
          ws.onclose = (e) => resolve([...seen, `close ${e.code}`]);
        }),
      wsUrl,
    );
    await page.close();
    return events;
  }

  it('the same origin connects with the cookie; a foreign origin is refused at the handshake', async (t) => {
    const own = await attemptFrom(`http://127.0.0.1:${appPort}/`);
    t.diagnostic(`own origin http://127.0.0.1:${appPort}: ${own.join(', ')}`);
    assert.deepEqual(own, ['open', 'connected as alice', 'close 1000'], 'the cookie alone authenticates');

    const foreign = await attemptFrom(`http://127.0.0.1:${foreignPort}/`);
    t.diagnostic(`foreign origin http://127.0.0.1:${foreignPort}: ${foreign.join(', ')}`);
    assert.deepEqual(foreign, ['error', 'close 1006'], 'never opened');
    const refusals = logLines.filter((l) => l.message === 'handshake refused: origin not allowed');
    assert.deepEqual(
      refusals.map((l) => l.fields.origin),
      [`http://127.0.0.1:${foreignPort}`],
      'the server refused exactly that origin (403)',
    );
  });

  it(
    'the check is what stops it: ' + 'a server that allows the foreign origin lets that page in with the cookie',
    async (t) => {
      const open = createServer({
        allowAnonymous: false,
        jwt: { secret: SECRET, cookie: 'sb_token' },
        allowedOrigins: [`http://127.0.0.1:${foreignPort}`],
      });
      const { port } = await open.listen(0);
      t.after(() => open.close());
      assert.deepEqual(
        await attemptFrom(`http://127.0.0.1:${foreignPort}/`, `ws://127.0.0.1:${port}/connection/websocket`),
        ['open', 'connected as alice', 'close 1000'],
      );
    },
  );
});
