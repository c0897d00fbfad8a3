// `serve --tls-cert/--tls-key`: HTTPS with HTTP/2 and HTTP/1.1 by ALPN, SSE and the API over
// HTTP/2, WebSocket over HTTP/2 (RFC 8441 extended CONNECT) from undici 7 and from Chromium,
// and wss:// from the Node SDK. The certificate is made at test time.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@switchboard/client';
import { WebSocket as NodeWebSocket } from '@switchboard/websocket';
import { Subprotocol } from '@switchboard/wire';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';
import { selfSignedCert } from './helpers/tls-cert.js';
import { until } from './helpers/wait.js';

const API_KEY = 'tls-test-api-key-0123456789';

describe('serve over TLS: HTTP/2, RFC 8441, wss://', () => {
  let child: ChildProcess;
  let base: string;
  let dir: string;
  let cert: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
    const pair = selfSignedCert();
    cert = pair.cert;
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'key.pem'), pair.key);
    ({ child, base } = await startServe([
      '--port',
      '0',
      '--api-key',
      API_KEY,
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

  const metric = async (h2: ClientHttp2Session, name: string) => {
    const text = await h2Request(h2, { ':path': '/metrics' });
    return text.body.split('\n').filter((l) => l.startsWith(name));
  };

  it(
    'negotiates h2 by ALPN, advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, ' + 'serves the API and SSE over HTTP/2',
    async () => {
      assert.match(base, /^https:/);
      const h2 = http2Connect(base, { ca: cert });
      try {
        await new Promise<void>((resolve) => h2.once('remoteSettings', () => resolve()));
        assert.equal(h2.alpnProtocol, 'h2');
        assert.equal(h2.remoteSettings.enableConnectProtocol, true);
        const sse = h2.request({ ':path': '/connection/sse?channel=chat:h2' });
        let text = '';
        sse.setEncoding('utf8');
        sse.on('data', (chunk: string) => (text += chunk));
        await until(() => text.includes('event: connected'), 'SSE connected over h2');
        const published = await h2Request(
          h2,
          {
            ':method': 'POST',
            ':path': '/api/publish',
            authorization: `apikey ${API_KEY}`,
            'content-type': 'application/json',
          },
          JSON.stringify({ channel: 'chat:h2', data: { text: 'over h2' } }),
        );
        assert.equal(published.status, 200);
        await until(() => text.includes('over h2'), 'publication over h2');
        assert.match(text, /id: [\w-]+\ndata: \{"push":"publication","channel":"chat:h2"/);
        sse.close();
      } finally {
        h2.close();
      }
    },
  );

  it(
    'accepts WebSocket over HTTP/2 from undici 7 (extended CONNECT), ' + 'and the server sees it as websocket-h2',
    async () => {
      const dispatcher = new Agent({ allowH2: true, connect: { ca: cert } });
      const ws = new UndiciWebSocket(`${base.replace('https', 'wss')}/connection/websocket`, {
        protocols: [Subprotocol.Json],
        dispatcher,
      } as never);
      const messages: string[] = [];
      ws.onmessage = (e) => messages.push(String(e.data));
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (e) =>
          reject(new Error(`undici WebSocket failed: ${String((e as { message?: string }).message)}`));
      });
      assert.equal(ws.protocol, Subprotocol.Json);
      ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
      await until(() => messages.some((m) => m.includes('"id":1')), 'connect reply over RFC 8441');
      assert.match(messages[0], /"result":\{"client":/);
      const h2 = http2Connect(base, { ca: cert });
      try {
        assert.deepEqual(await metric(h2, 'switchboard_connections{transport="websocket-h2"}'), [
          'switchboard_connections{transport="websocket-h2"} 1',
        ]);
        assert.match((await metric(h2, 'switchboard_http2_websocket_connects_total'))[0], /total [1-9]/);
      } finally {
        h2.close();
      }
      ws.close();
      await dispatcher.close();
    },
  );

  it(
    'refuses bad extended CONNECTs with the RFC 6455 statuses: wrong version 426, unknown subprotocol 400, ' +
      'other path 404',
    async () => {
      const h2 = http2Connect(base, { ca: cert });
      try {
        await new Promise<void>((resolve) => h2.once('remoteSettings', () => resolve()));
        const status = (headers: Record<string, string>) =>
          new Promise<number>((resolve, reject) => {
            const s = h2.request({
              ':method': 'CONNECT',
              ':protocol': 'websocket',
              ':scheme': 'https',
              ':path': '/connection/websocket',
              ...headers,
            });
            s.on('response', (h) => {
              resolve(Number(h[':status']));
              s.close();
            });
            s.on('error', reject);
          });
        assert.equal(await status({ 'sec-websocket-version': '8' }), 426);
        assert.equal(await status({ 'sec-websocket-version': '13', 'sec-websocket-protocol': 'nope' }), 400);
        assert.equal(await status({ ':path': '/elsewhere', 'sec-websocket-version': '13' }), 404);
        assert.equal(await status({ 'sec-websocket-version': '13', 'sec-websocket-protocol': Subprotocol.Json }), 200);
      } finally {
        h2.close();
      }
    },
  );

  it(
    'Chromium over https:// opens its WebSocket as an ' + "extended CONNECT stream on the page's HTTP/2 connection",
    async () => {
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        const response = await page.goto(`${base}/`);
        assert.equal(response!.status(), 200);
        const h2 = http2Connect(base, { ca: cert });
        const before = Number((await metric(h2, 'switchboard_http2_websocket_connects_total'))[0].split(' ')[1]);
        const reply = await page.evaluate(
          async (url) => {
            const ws = new WebSocket(url, 'switchboard.v1.json');
            const first = await new Promise<string>((resolve, reject) => {
              ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
              ws.onmessage = (e) => resolve(String(e.data));
              ws.onerror = () => reject(new Error('websocket error'));
            });
            return {
              first,
              protocol:
                performance.getEntriesByType('navigation')[0] &&
                (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
            };
          },
          `${base.replace('https', 'wss')}/connection/websocket`,
        );
        assert.equal(reply.protocol, 'h2');
        assert.match(reply.first, /"result":\{"client":/);
        const afterCount = Number((await metric(h2, 'switchboard_http2_websocket_connects_total'))[0].split(' ')[1]);
        assert.equal(afterCount, before + 1);
        assert.deepEqual(await metric(h2, 'switchboard_connections{transport="websocket-h2"}'), [
          'switchboard_connections{transport="websocket-h2"} 1',
        ]);
        const view = [
          ...(await metric(h2, 'switchboard_http2_websocket_connects_total')),
          ...(await metric(h2, 'switchboard_connections{')),
        ];
        console.log(`Chromium page over ${reply.protocol}; the server's view: ${view.join('; ')}`);
        h2.close();
      } finally {
        await browser.close();
      }
    },
  );

  it('the Node SDK connects over wss:// (HTTP/1.1 on the same port) and receives a publication', async () => {
    const tls = { ca: cert };
    class TlsWebSocket extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { tls });
      }
    }
    const client = new Client(`${base.replace('https', 'wss')}/connection/websocket`, { WebSocket: TlsWebSocket });
    const got: unknown[] = [];
    const sub = client.subscribe('chat:wss');
    sub.on('publication', (p) => got.push(p.data));
    client.connect();
    await until(() => sub.state === 'subscribed', 'subscribed over wss');
    const h2 = http2Connect(base, { ca: cert });
    await h2Request(
      h2,
      { ':method': 'POST', ':path': '/api/publish', authorization: `apikey ${API_KEY}` },
      JSON.stringify({ channel: 'chat:wss', data: 'secure' }),
    );
    h2.close();
    await until(() => got.length === 1, 'publication over wss');
    assert.deepEqual(got, ['secure']);
    client.disconnect();
  });
});

function h2Request(
  h2: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = h2.request(headers);
    let status = 0;
    let text = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, body: text }));
    req.on('error', reject);
    req.end(body);
  });
}
