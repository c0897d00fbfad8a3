// The SDK bundle in Chromium against the real `switchboard serve`: connect, subscribe, receive; the connection is
// cut under the page (a TCP reset through a proxy) and the browser goes offline, publications are made meanwhile,
// and the page reconnects, recovers, and shows every message once, with no gap.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTcpProxy, type TcpProxy } from '@switchboard/testing/internal';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';

const API_KEY = 'sdk-browser-key-0123456789';

describe('client SDK bundle in Chromium', { timeout: 90_000 }, () => {
  let serve: ChildProcess;
  let base: string;
  let proxy: TcpProxy;
  let browser: Browser;

  before(async () => {
    ({ child: serve, base } = await startServe(['--port', '0', '--api-key', API_KEY]));
    proxy = await startTcpProxy(Number(new URL(base).port));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await stopChild(serve);
  });

  const publish = async (n: number) => {
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}` },
      body: JSON.stringify({ channel: 'chat:sdk', data: { n } }),
    });
    assert.equal(res.status, 200);
  };

  it(
    'reconnects on its own after the connection is cut ' + 'and after offline/online, and the page shows no gap',
    async () => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
      await page.goto(`${base}/health`);
      await page.evaluate(async (wsUrl) => {
        const { Client } = await import(`${location.origin}/client.js`);
        const log = { drops: [] as number[], connects: 0, gaps: 0, states: [] as string[] };
        Object.assign(window, { log });
        const list = document.body.appendChild(document.createElement('ol'));
        const client = new Client(wsUrl, { data: { name: 'page' }, backoff: { baseMs: 50, capMs: 200 } });
        const sub = client.subscribe('chat:sdk');
        sub.on('publication', (p: { offset: number; data: { n: number } }) => {
          const li = list.appendChild(document.createElement('li'));
          li.textContent = `${p.offset}:${p.data.n}`;
        });
        sub.on('gap', () => log.gaps++);
        sub.on('state', (e: { state: string }) => log.states.push(e.state));
        client.on('connected', () => log.connects++);
        client.on('disconnected', (e: { code: number }) => log.drops.push(e.code));
        client.connect();
      }, `ws://127.0.0.1:${proxy.port}/connection/websocket`);
      const shown = () => page.$$eval('ol li', (lis) => lis.map((li) => li.textContent));
      const waitShown = (n: number) => page.waitForFunction((k) => document.querySelectorAll('ol li').length >= k, n);

      await page.waitForFunction(() =>
        (window as unknown as { log: { states: string[] } }).log.states.includes('subscribed'),
      );
      for (let n = 1; n <= 5; n++) await publish(n);
      await waitShown(5);

      assert.ok(proxy.cutAll() >= 1, 'the page was connected through the proxy');
      for (let n = 6; n <= 10; n++) await publish(n);
      await waitShown(10);

      await page.evaluate(() => window.dispatchEvent(new Event('offline')));
      for (let n = 11; n <= 15; n++) await publish(n);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await waitShown(15);
      await page.waitForTimeout(200);

      const log = await page.evaluate(
        () => (window as unknown as { log: { drops: number[]; connects: number; gaps: number } }).log,
      );
      assert.deepEqual(
        await shown(),
        Array.from({ length: 15 }, (_, i) => `${i + 1}:${i + 1}`),
      );
      assert.deepEqual(log.drops, [1006, 1006]);
      assert.equal(log.connects, 3);
      assert.equal(log.gaps, 0);
      console.log(
        `# Chromium: 15 publications shown once, in order; drops ${JSON.stringify(log.drops)}, ${log.connects} ` +
          `connects, ${log.gaps} gaps`,
      );
    },
  );
});
