// Laravel Echo 2 on pusher-js: in Node, and in Chromium through nginx (WebSocket /app/, REST /apps/, the app's
// backend for the page and /pusher/auth), receiving a REST-triggered event and presence callbacks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import type { Browser } from 'playwright-core';
import type { SwitchboardServer } from '@switchboard/server';
import { launchChromium } from './helpers/chromium.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { APP, pusherClient, sdk, startPusherNode, subscribed, until } from './helpers/pusher-peers.js';

const modules = (path: string) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
const PUSHER_JS = readFileSync(modules('pusher-js/dist/web/pusher.min.js'));
const ECHO_JS = readFileSync(modules('laravel-echo/dist/echo.iife.js'));

/** Echo hands `here`, `joining` and `leaving` each member's `user_info`. */
type Member = { name: string };

describe('Laravel Echo on pusher-js', { timeout: 90_000 }, () => {
  let server: SwitchboardServer;
  let port: number;
  before(async () => ({ server, port } = await startPusherNode()));
  after(() => server.close());

  it('in Node: private().listen() gets a REST event; join() calls here, joining and leaving', async () => {
    const backend = sdk(port);
    const echo = new Echo({
      broadcaster: 'pusher',
      Pusher,
      key: APP.key,
      cluster: 'local',
      wsHost: '127.0.0.1',
      wsPort: port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        customHandler: (
          { socketId, channelName }: { socketId: string; channelName: string },
          callback: (e: null, auth: unknown) => void,
        ) =>
          callback(
            null,
            backend.authorizeChannel(
              socketId,
              channelName,
              channelName.startsWith('presence-') ? { user_id: 'alice', user_info: { name: 'Alice' } } : undefined,
            ),
          ),
      },
    } as never);
    try {
      const shipped: unknown[] = [];
      echo.private('orders').listen('.OrderShipped', (e: unknown) => shipped.push(e));
      const here: Member[][] = [];
      const joining: Member[] = [];
      const leaving: Member[] = [];
      echo
        .join('room')
        .here((m: Member[]) => here.push(m))
        .joining((m: Member) => joining.push(m))
        .leaving((m: Member) => leaving.push(m));
      await until(() => here.length === 1, 10_000, 'here()');
      assert.deepEqual(here[0], [{ name: 'Alice' }]);
      await until(
        async () => {
          await backend.trigger('private-orders', 'OrderShipped', { order: 1 });
          return shipped.length > 0;
        },
        10_000,
        'the REST event',
      );
      assert.deepEqual(shipped[0], { order: 1 });
      const bob = pusherClient(port, { user: { user_id: 'bob', user_info: { name: 'Bob' } } });
      await subscribed(bob, 'presence-room');
      await until(() => joining.length === 1, 10_000, 'joining()');
      assert.deepEqual(joining, [{ name: 'Bob' }]);
      bob.disconnect();
      await until(() => leaving.length === 1, 10_000, 'leaving()');
      assert.deepEqual(leaving, [{ name: 'Bob' }]);
    } finally {
      echo.disconnect();
    }
  });

  describe('in Chromium through nginx', () => {
    let app: Server;
    let nginx: Nginx;
    let browser: Browser;
    before(async () => {
      // The application's backend: the page, the libraries, and /pusher/auth (the user is the X-User header).
      const backend = sdk(port);
      app = createHttpServer((req, res) => {
        if (req.url === '/pusher.min.js' || req.url === '/echo.iife.js')
          return res
            .writeHead(200, { 'content-type': 'text/javascript' })
            .end(req.url === '/pusher.min.js' ? PUSHER_JS : ECHO_JS);
        if (req.url === '/pusher/auth' && req.method === 'POST') {
          let body = '';
          req.on('data', (c: Buffer) => (body += c));
          req.on('end', () => {
            const form = new URLSearchParams(body);
            const channel = form.get('channel_name')!;
            const user = String(req.headers['x-user']);
            const auth = backend.authorizeChannel(
              form.get('socket_id')!,
              channel,
              channel.startsWith('presence-') ? { user_id: user, user_info: { name: user } } : undefined,
            );
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(auth));
          });
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script src="/pusher.min.js"></script><script src="/echo.iife.js"></script>');
      });
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()));
      const appPort = (app.address() as { port: number }).port;
      nginx = await startNginx(`
        map $http_upgrade $connection_upgrade { default upgrade; '' close; }
        server {
          listen 127.0.0.1:{{PORT}};
          location /app/ { proxy_pass http://127.0.0.1:${port}; proxy_http_version 1.1; proxy_set_header Upgrade \
$http_upgrade; proxy_set_header Connection $connection_upgrade; proxy_read_timeout 300s; }
          location /apps/ { proxy_pass http://127.0.0.1:${port}; }
          location / { proxy_pass http://127.0.0.1:${appPort}; }
        }`);
      browser = await launchChromium({ timeout: 30_000 });
    });
    after(async () => {
      await browser?.close();
      await nginx?.stop();
      app?.close();
    });

    it('Echo in the page gets a REST-triggered event and here/joining/leaving', async () => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
      await page.goto(`${nginx.base}/`);
      await page.evaluate((key) => {
        const w = window as unknown as Record<string, any>;
        const seen = {
          shipped: [] as unknown[],
          here: [] as unknown[],
          joining: [] as unknown[],
          leaving: [] as unknown[],
        };
        w.seen = seen;
        const echo = new w.Echo.default({
          broadcaster: 'pusher',
          Pusher: w.Pusher,
          key,
          cluster: 'local',
          wsHost: location.hostname,
          wsPort: Number(location.port),
          forceTLS: false,
          enabledTransports: ['ws'],
          disableStats: true,
          authEndpoint: '/pusher/auth',
          auth: { headers: { 'X-User': 'carol' } },
        });
        echo.private('orders').listen('.OrderShipped', (e: unknown) => seen.shipped.push(e));
        echo
          .join('lounge')
          .here((m: unknown) => seen.here.push(m))
          .joining((m: unknown) => seen.joining.push(m))
          .leaving((m: unknown) => seen.leaving.push(m));
      }, APP.key);
      const seen = () => page.evaluate(() => (window as unknown as { seen: Record<string, unknown[]> }).seen);
      await until(async () => (await seen()).here.length === 1, 20_000, 'here() in the page');
      assert.deepEqual((await seen()).here[0], [{ name: 'carol' }]);
      // REST through nginx as well.
      const rest = sdk(nginx.port);
      await until(
        async () => {
          await rest.trigger('private-orders', 'OrderShipped', { order: 'browser' });
          return (await seen()).shipped.length > 0;
        },
        20_000,
        'the REST event in the page',
      );
      assert.deepEqual((await seen()).shipped[0], { order: 'browser' });
      const dave = pusherClient(port, { user: { user_id: 'dave', user_info: { name: 'dave' } } });
      await subscribed(dave, 'presence-lounge');
      await until(async () => (await seen()).joining.length === 1, 20_000, 'joining() in the page');
      dave.disconnect();
      await until(async () => (await seen()).leaving.length === 1, 20_000, 'leaving() in the page');
      const { joining, leaving } = await seen();
      assert.deepEqual([joining, leaving], [[{ name: 'dave' }], [{ name: 'dave' }]]);
    });
  });
});
