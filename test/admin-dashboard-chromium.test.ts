// The /admin dashboard in Chromium, against two serve nodes on one Redis: the page served by node A
// shows node B's live connection count change as clients connect to B (through the control bus,
// without a reload), and its actions work (publish reaches a client; presence and history lookups answer;
// disconnect closes the user's connection on the other node with 3011).
// Before sign-in the board is not shown at all; at 1,280 px every action and every Nodes column is on
// screen; the page cannot be framed and runs no inline script (its headers). SAVE_SCREENSHOTS=1
// writes docs/images/admin-signin.png and admin-dashboard.png (CI leaves them alone).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { Client } from '@switchboard/client';
import { TestClient } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { launchChromium } from './helpers/chromium.js';
import { hs, SECRET } from './helpers/jwt.js';
import { startServe, stopChild } from './helpers/process.js';
import { until } from './helpers/wait.js';

const VIEWPORT = { width: 1280, height: 900 };
const screenshot = (name: string) =>
  process.env.SAVE_SCREENSHOTS === '1' ? fileURLToPath(new URL(`../docs/images/${name}`, import.meta.url)) : undefined;

const API_KEY = 'admin-dashboard-test-key-0123456789';
const ADMIN_SECRET = 'admin-dashboard-secret-0123456789';

describe('the /admin dashboard', () => {
  const nodes: Awaited<ReturnType<typeof startServe>>[] = [];
  const clients: Client[] = [];
  let browser: Browser;

  before(async () => {
    const config = join(tmpdir(), `sb-admin-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        apiKey: API_KEY,
        allowAnonymous: true,
        jwt: { secret: SECRET },
        namespaces: { room: { history: { size: 10, ttlMs: 60_000 }, presence: true } },
      }),
    );
    const env = { ...process.env, SWITCHBOARD_REDIS_PREFIX: `sbadmin${randomBytes(4).toString('hex')}` };
    for (let i = 0; i < 2; i++)
      nodes.push(await startServe(['--port', '0', '--config', config, '--engine', 'redis', '--workers', '1'], env));
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await browser?.close();
    for (const n of nodes) await stopChild(n.child);
  });

  it('shows the other node’s connections change live, and its actions work', async () => {
    const [a, b] = nodes;
    const page = await browser.newPage({ viewport: VIEWPORT });
    const response = await page.goto(`${a.base}/admin`);
    const headers = response!.headers();
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.match(headers['content-security-policy'], /script-src 'self'(;|$)/, 'no inline script');
    // Before sign-in: the board takes no space and is not displayed (the hidden attribute wins over main's grid).
    assert.equal(await page.locator('#board').boundingBox(), null);
    assert.equal(await page.locator('#board').evaluate((e) => getComputedStyle(e).display), 'none');
    assert.ok(await page.locator('#login').isVisible());
    const signin = screenshot('admin-signin.png');
    if (signin) await page.screenshot({ path: signin });
    await page.fill('#secret', API_KEY);
    await page.click('#login-form button');
    const row = page.locator(`#nodes tr[data-node="${b.nodeId}"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('td.connections').textContent(), '0');
    // 12 clients connect to node B, each subscribed to the room.
    const got: unknown[] = [];
    for (let i = 0; i < 12; i++) {
      const client = new Client(`${b.base.replace('http', 'ws')}/connection/websocket`, { WebSocket, data: { i } });
      client.subscribe('room:lobby').on('publication', (e) => got.push(e.data));
      client.connect();
      clients.push(client);
    }
    await until(() => clients.every((c) => c.state === 'connected'), 'clients connected');
    const url = page.url();
    await page.waitForFunction(
      (id) => document.querySelector(`#nodes tr[data-node="${id}"] td.connections`)?.textContent === '12',
      b.nodeId,
      { timeout: 10_000 },
    );
    assert.equal(page.url(), url, 'no reload');
    await page.waitForFunction(() => document.querySelector('#channels td')?.textContent === 'room:lobby', undefined, {
      timeout: 10_000,
    });
    // Action: publish from the page; every client gets it.
    await page.fill('#pub-channel', 'room:lobby');
    await page.fill('#pub-data', '{"text":"from the dashboard"}');
    await page.click('#publish-form button');
    await until(() => got.length === 12, 'the publication reached every client');
    assert.deepEqual(got[0], { text: 'from the dashboard' });
    // Action: presence lookup lists the 12 clients.
    await page.fill('#look-channel', 'room:lobby');
    await page.click('#presence-btn');
    await page.waitForFunction(() => document.querySelector('#result')?.textContent?.includes('clients'), undefined, {
      timeout: 5000,
    });
    const presence = JSON.parse((await page.locator('#result').textContent())!) as { clients: Record<string, unknown> };
    assert.equal(Object.keys(presence.clients).length, 12);
    // The credential lives for the tab only: sessionStorage, never localStorage.
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sb-admin-auth')), `apikey ${API_KEY}`);
    assert.equal(await page.locator('#login').boundingBox(), null, 'the sign-in form is gone');
    // At 1,280 px: every action and every Nodes column (the Drain buttons included) is inside the viewport.
    const onScreen = [
      '#publish-form button',
      '#disconnect-form button',
      '#presence-btn',
      '#history-btn',
      '#nodes thead th',
      '#nodes tbody td',
      '#nodes tbody button',
    ];
    for (const selector of onScreen) {
      const boxes = await page
        .locator(selector)
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
      assert.ok(boxes.length > 0, selector);
      for (const box of boxes)
        assert.ok(
          box.left >= 0 && box.right <= VIEWPORT.width && box.width > 0,
          `${selector} at ${box.left}–${box.right} px is off-screen`,
        );
    }
    assert.equal(
      await page.locator('#nodes tbody tr').first().locator('td').count(),
      await page.locator('#nodes thead th').count(),
    );
    assert.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'no horizontal scroll',
    );
    const dashboard = screenshot('admin-dashboard.png');
    if (dashboard) await page.screenshot({ path: dashboard, fullPage: true });
    // Action: history lookup shows the publication made from the page.
    await page.click('#history-btn');
    await page.waitForFunction(
      () => document.querySelector('#result')?.textContent?.includes('publications'),
      undefined,
      { timeout: 5000 },
    );
    const history = JSON.parse((await page.locator('#result').textContent())!) as { publications: { data: unknown }[] };
    assert.deepEqual(
      history.publications.map((p) => p.data),
      [{ text: 'from the dashboard' }],
    );
    // Action: disconnect a user (on node B, from node A's page): its connection is closed with 3011; others stay.
    const carol = await TestClient.open(`${b.base.replace('http', 'ws')}/connection/websocket`);
    await carol.connect({ token: await hs({ sub: 'carol' }) });
    await page.fill('#dis-user', 'carol');
    await page.click('#disconnect-form button');
    const closed = await Promise.race([carol.closed, sleep(5000).then(() => 'still open')]);
    assert.deepEqual(closed, { code: 3011, reason: 'disconnected by the server' });
    assert.ok(
      clients.every((c) => c.state === 'connected'),
      'the other users stay',
    );
    // Action: drain node B from node A's page; its clients are closed with 1012.
    page.on('dialog', (d) => void d.accept());
    await row.locator('button').click();
    await page.waitForFunction(
      (id) => document.querySelector(`#nodes tr[data-node="${id}"] td.connections`)?.textContent === '0',
      b.nodeId,
      { timeout: 15_000 },
    );
  });

  it('with an admin secret, the API key no longer opens it; a wrong secret gets 401', async () => {
    const { child, base } = await startServe(['--port', '0', '--api-key', API_KEY, '--admin-secret', ADMIN_SECRET]);
    try {
      const call = (authorization: string) =>
        fetch(`${base}/admin/api/stats`, { method: 'POST', headers: { authorization }, body: '{}' });
      assert.equal((await call(`apikey ${API_KEY}`)).status, 401);
      assert.equal((await call('admin wrong')).status, 401);
      const ok = await call(`admin ${ADMIN_SECRET}`);
      assert.equal(ok.status, 200);
      const stats = (await ok.json()) as { nodes: { version: string; connectionsByTransport: object }[] };
      assert.equal(stats.nodes.length, 1);
      assert.match(stats.nodes[0].version, /^\d+\.\d+\.\d+/);
      // Only the allow-listed methods pass through.
      assert.equal(
        (
          await fetch(`${base}/admin/api/history_remove`, {
            method: 'POST',
            headers: { authorization: `admin ${ADMIN_SECRET}` },
            body: '{}',
          })
        ).status,
        404,
      );
      assert.equal((await fetch(`${base}/admin`)).status, 200);
      // Draining a node that is not live is refused, and nothing is drained.
      const drain = await fetch(`${base}/api/drain`, {
        method: 'POST',
        headers: { authorization: `apikey ${API_KEY}` },
        body: '{"node":"nosuchnode"}',
      });
      assert.equal(drain.status, 400);
      assert.equal((await fetch(`${base}/health`)).status, 200);
    } finally {
      await stopChild(child);
    }
  });
});
