// `switchboard serve` as users start it, and its demo page in Chromium: two pages chat and see each other.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';

const OUT = 'test-output/demo';
const API_KEY = 'demo-test-key-0123456789';

describe('demo page in Chromium', { timeout: 90_000 }, () => {
  let serve: ChildProcess;
  let base: string;
  let browser: Browser;

  before(async () => {
    ({ child: serve, base } = await startServe(['--port', '0', '--api-key', API_KEY]));
    browser = await launchChromium();
    mkdirSync(OUT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stopChild(serve);
  });

  const join = async (name: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 940, height: 480 } });
    await page.goto(`${base}/`);
    await page.fill('#name', name);
    await page.click('#join');
    await page.waitForSelector('#status:has-text("connected to chat:lobby")');
    return page;
  };
  const say = async (page: Page, text: string) => {
    await page.fill('#text', text);
    await page.click('#send');
  };
  const messages = (page: Page) => page.$$eval('#messages li', (lis) => lis.map((li) => li.textContent));
  const present = (page: Page) => page.$$eval('#presence li', (lis) => lis.map((li) => li.textContent));

  it('two pages chat: each sees the other’s message and presence; history survives a reload', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.waitForSelector('#presence li:has-text("bob")');
    assert.deepEqual(await present(alice), ['alice', 'bob']);
    assert.deepEqual(await present(bob), ['alice', 'bob']);

    await say(alice, 'hi bob, it is alice');
    await bob.waitForSelector('#messages li:has-text("hi bob, it is alice")');
    await say(bob, 'hello alice!');
    await alice.waitForSelector('#messages li:has-text("hello alice!")');

    // The backend publishes through the HTTP API, as `curl` would.
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'chat:lobby', data: { name: 'backend', text: 'published over /api/publish' } }),
    });
    assert.deepEqual(Object.keys(await res.json()).sort(), ['epoch', 'offset']);
    await alice.waitForSelector('#messages li:has-text("published over /api/publish")');
    await bob.waitForSelector('#messages li:has-text("published over /api/publish")');
    const expected = ['#1alicehi bob, it is alice', '#2bobhello alice!', '#3backendpublished over /api/publish'];
    assert.deepEqual(await messages(alice), expected);
    assert.deepEqual(await messages(bob), expected);
    await alice.screenshot({ path: `${OUT}/alice.png` });
    await bob.screenshot({ path: `${OUT}/bob.png` });

    await bob.close();
    await alice.waitForFunction(() => document.querySelectorAll('#presence li').length === 1);
    await alice.reload();
    await alice.click('#join');
    await alice.waitForSelector('#messages li:has-text("published over /api/publish")');
    assert.deepEqual(await messages(alice), expected, 'history after reload, once each');
    await alice.close();
  });
});
