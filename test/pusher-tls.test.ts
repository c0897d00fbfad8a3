// The Pusher protocol over `serve --tls-cert/--tls-key`: pusher-js in Chromium over wss:// (the page's HTTP/2
// connection: an RFC 8441 stream), and the `pusher` SDK's REST calls over https://, on the one port.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import PusherServer from 'pusher';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';
import { selfSignedCert } from './helpers/tls-cert.js';
import { until } from './helpers/pusher-peers.js';

const APP = { id: 'tls', key: 'tls-key', secret: 'tls-secret-0123456789' };
const PUSHER_JS = readFileSync(
  fileURLToPath(new URL('../node_modules/pusher-js/dist/web/pusher.min.js', import.meta.url)),
  'utf8',
);

describe('Pusher over TLS (HTTP/2 and HTTP/1.1 on one port)', { timeout: 60_000 }, () => {
  let child: ChildProcess;
  let base: string;
  let dir: string;
  let cert: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-pusher-tls-'));
    const pair = selfSignedCert();
    cert = pair.cert;
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'key.pem'), pair.key);
    ({ child, base } = await startServe([
      '--port',
      '0',
      '--pusher-app',
      `${APP.id}:${APP.key}:${APP.secret}`,
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
    ]));
  });
  after(async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('pusher-js in Chromium over wss:// receives an event the SDK triggers over https://', async () => {
    const port = Number(new URL(base).port);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
      await page.goto(`${base}/health/live`);
      await page.addScriptTag({ content: PUSHER_JS });
      await page.evaluate(
        ({ key, port }) => {
          const w = window as unknown as Record<string, any>;
          w.got = [];
          const pusher = new w.Pusher(key, {
            cluster: 'local',
            wsHost: location.hostname,
            wssPort: port,
            forceTLS: true,
            enabledTransports: ['ws'],
          });
          pusher.subscribe('secure').bind('hello', (d: unknown) => w.got.push(d));
          w.pusher = pusher;
        },
        { key: APP.key, port },
      );
      await until(
        async () =>
          page.evaluate(
            () =>
              (window as unknown as { pusher: { channel(n: string): { subscribed: boolean } } }).pusher.channel(
                'secure',
              ).subscribed,
          ),
        20_000,
        'subscribed over wss',
      );
      const sdk = new PusherServer({
        appId: APP.id,
        key: APP.key,
        secret: APP.secret,
        host: '127.0.0.1',
        port: String(port),
        useTLS: true,
        agent: new Agent({ ca: cert }),
      });
      await sdk.trigger('secure', 'hello', { over: 'tls' });
      await until(
        async () => (await page.evaluate(() => (window as unknown as { got: unknown[] }).got.length)) === 1,
        10_000,
        'the event in the page',
      );
      assert.deepEqual(await page.evaluate(() => (window as unknown as { got: unknown[] }).got), [{ over: 'tls' }]);
      // The page's WebSocket was an extended CONNECT on its HTTP/2 connection (RFC 8441), counted as a Pusher
      // connection.
      const metrics = await new Promise<string>((resolve, reject) =>
        get(`${base}/metrics`, { ca: cert }, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (c: string) => (text += c))
            .on('end', () => resolve(text));
        }).on('error', reject),
      );
      assert.match(metrics, /switchboard_http2_websocket_connects_total [1-9]/);
      assert.match(metrics, /switchboard_connections\{transport="pusher"\} 1/);
    } finally {
      await browser.close();
    }
  });
});
