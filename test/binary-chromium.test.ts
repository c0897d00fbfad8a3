// The binary protocol between a browser and Node over the real `switchboard serve`: a Chromium page runs the
// client bundle with the opt-in MessagePack codec bundle (`/msgpack.js`), a Node SDK client runs MessagePack too,
// and each publishes bytes that the other receives as a Uint8Array, in history as well.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Client, type Publication } from '@switchboard/client';
import { MsgpackCodec } from '@switchboard/client/msgpack';
import { WebSocket } from '@switchboard/websocket';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';

describe('binary publications between Chromium and Node (switchboard.v1.msgpack)', { timeout: 60_000 }, () => {
  let serve: ChildProcess;
  let base: string;
  let browser: Browser;
  let node: Client;

  before(async () => {
    ({ child: serve, base } = await startServe(['--port', '0', '--api-key', 'binary-browser-key-0123456789']));
    browser = await launchChromium();
  });
  after(async () => {
    node?.disconnect();
    await browser?.close();
    await stopChild(serve);
  });

  it('the page and the Node client exchange bytes both ways', async () => {
    const wsUrl = `${base.replace('http', 'ws')}/connection/websocket`;
    const page = await browser.newPage();
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    // tsx (esbuild keepNames) wraps named functions in __name(), which the page does not have.
    await page.addInitScript('window.__name = (f) => f');
    await page.goto(`${base}/health`);
    await page.evaluate(async (url) => {
      const { Client } = await import(`${location.origin}/client.js`);
      const { MsgpackCodec } = await import(`${location.origin}/msgpack.js`);
      const page = {
        received: [] as { kind: string; bytes: number[] }[],
        protocol: '',
        subscribed: false,
        client: null as unknown,
      };
      Object.assign(window, { page });
      // The subprotocol the browser's own WebSocket ended up with, read off the socket the SDK opened.
      const Spy = new Proxy(window.WebSocket, {
        construct: (Native, args: [string, string]) => {
          const ws = new Native(...args);
          ws.addEventListener('open', () => (page.protocol = ws.protocol));
          return ws;
        },
      });
      const client = new Client(url, { codec: new MsgpackCodec(), WebSocket: Spy });
      page.client = client;
      const sub = client.subscribe('chat:bytes');
      sub.on('state', (e: { state: string }) => (page.subscribed ||= e.state === 'subscribed'));
      sub.on('publication', (p: { data: { from: string; body: Uint8Array } }) => {
        const body = p.data.body;
        page.received.push({ kind: `${p.data.from}:${Object.prototype.toString.call(body)}`, bytes: Array.from(body) });
      });
      client.connect();
    }, wsUrl);
    await page.waitForFunction(() => (window as unknown as { page: { subscribed: boolean } }).page.subscribed);

    node = new Client(wsUrl, { codec: new MsgpackCodec(), WebSocket: WebSocket as never, network: null });
    const fromPage: Publication[] = [];
    node.subscribe('chat:bytes').on('publication', (p) => fromPage.push(p));
    node.connect();
    await new Promise<void>((r) =>
      node.getSubscription('chat:bytes')!.on('state', (e) => e.state === 'subscribed' && r()),
    );

    // Node → page: every byte value, so nothing is read as text on the way.
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await node.publish('chat:bytes', { from: 'node', body: all });
    await page.waitForFunction(
      () => (window as unknown as { page: { received: unknown[] } }).page.received.length >= 1,
    );

    // Page → Node.
    await page.evaluate(async () => {
      const { client } = (
        window as unknown as { page: { client: { publish(c: string, d: unknown): Promise<unknown> } } }
      ).page;
      await client.publish('chat:bytes', { from: 'page', body: new Uint8Array([255, 0, 128, 7]) });
    });
    while (!fromPage.some((p) => (p.data as { from: string }).from === 'page'))
      await new Promise((r) => setTimeout(r, 20));

    const seen = await page.evaluate(
      () => (window as unknown as { page: { received: { kind: string; bytes: number[] }[]; protocol: string } }).page,
    );
    assert.equal(seen.protocol, 'switchboard.v1.msgpack');
    assert.deepStrictEqual(seen.received[0], { kind: 'node:[object Uint8Array]', bytes: Array.from(all) });
    assert.deepStrictEqual(seen.received[1], { kind: 'page:[object Uint8Array]', bytes: [255, 0, 128, 7] });
    const pageBody = (fromPage.find((p) => (p.data as { from: string }).from === 'page')!.data as { body: Uint8Array })
      .body;
    assert.equal(pageBody.constructor, Uint8Array);
    assert.deepStrictEqual(pageBody, new Uint8Array([255, 0, 128, 7]));

    const history = await node.history('chat:bytes');
    assert.deepStrictEqual(
      history.publications.map((p) => Array.from((p.data as { body: Uint8Array }).body)),
      [Array.from(all), [255, 0, 128, 7]],
    );
    console.log(
      `# Chromium ⇄ Node over ${seen.protocol}: 256 bytes to the page, 4 bytes to Node, both as Uint8Array; ` +
        `history holds both`,
    );
  });
});
