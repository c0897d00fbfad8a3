// Heartbeats against frozen processes (SIGSTOP): the server finds a client that stopped answering within
// interval + timeout and frees its presence; the SDK finds a silent server the same way and reconnects.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, type ClientEvent } from '@switchboard/client';
import { startTestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { spawnSdkSubscriber } from './helpers/sdk-subscriber.js';
import { startServe, stopChild } from './helpers/process.js';
import { until } from './helpers/wait.js';

const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
describe('heartbeats', () => {
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) {
      child.kill('SIGCONT');
      await stopChild(child);
    }
  });

  it('drops a frozen client within interval + timeout, frees its presence, and records 1006', async (t) => {
    const closes: { code: number; reason: string; at: number }[] = [];
    const server = await startTestServer({
      pingIntervalMs: INTERVAL_MS,
      pongTimeoutMs: TIMEOUT_MS,
      namespaces: { room: { presence: true, joinLeave: true } },
      hooks: { onDisconnect: (_ctx, code, reason) => closes.push({ code, reason, at: performance.now() }) },
    });
    t.after(() => server.close());
    const watcher = new Client(server.url, { WebSocket });
    const leaves: unknown[] = [];
    watcher.subscribe('room:1').on('leave', (e) => leaves.push(e));
    watcher.connect();
    t.after(() => watcher.disconnect());

    const { child, lines } = spawnSdkSubscriber(server.url, 'room:1');
    children.push(child);
    await lines.next((l) => l.event === 'ready');
    assert.equal((await server.api('presence_stats', { channel: 'room:1' })).body.clients, 2);

    // Let a few heartbeats pass first: a live client answers them.
    await new Promise((r) => setTimeout(r, 2.5 * INTERVAL_MS));
    assert.equal(closes.length, 0, 'a live client is not dropped');
    const frozenAt = performance.now();
    child.kill('SIGSTOP');
    await until(() => closes.length === 1, 'the frozen client dropped', 3 * (INTERVAL_MS + TIMEOUT_MS));
    const detectedMs = Math.round(closes[0].at - frozenAt);
    await until(() => leaves.length === 1, 'its leave');
    const stats = (await server.api('presence_stats', { channel: 'room:1' })).body;
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    t.diagnostic(
      `SIGSTOP → dropped after ${detectedMs} ms (interval ${INTERVAL_MS} + timeout ${TIMEOUT_MS}); ` +
        `close ${closes[0].code} "${closes[0].reason}"; presence now ${stats.clients}`,
    );
    t.diagnostic(
      metrics
        .split('\n')
        .filter((l) => /^switchboard_(heartbeat_timeouts_total|disconnects_total)/.test(l))
        .join('; '),
    );
    // Silence starts at most one interval before a ping; the check runs the timeout after it (+ scheduling slack).
    assert.ok(detectedMs <= INTERVAL_MS + TIMEOUT_MS + 400, `detected in ${detectedMs} ms`);
    assert.equal(closes[0].code, 1006);
    assert.equal(stats.clients, 1);
    assert.match(metrics, /^switchboard_heartbeat_timeouts_total 1$/m);
    assert.match(metrics, /^switchboard_disconnects_total\{code="1006",transport="websocket"\} 1$/m);

    // Thawed, the client learns it was dropped and comes back on its own.
    child.kill('SIGCONT');
    const back = await lines.next((l) => l.event === 'connected');
    assert.ok(back);
    await until(() => server.server.nodeInfo().connections === 2, 'the thawed client reconnected');
  });

  it('the SDK finds a frozen server within its ping interval + pingGraceMs and reconnects', async (t) => {
    const config = join(tmpdir(), `sb-heartbeat-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        allowAnonymous: true,
        pingIntervalMs: INTERVAL_MS,
        pongTimeoutMs: TIMEOUT_MS,
        namespaces: { room: {} },
      }),
    );
    const { child, base } = await startServe(['--port', '0', '--config', config]);
    children.push(child);
    const client = new Client(`${base.replace('http', 'ws')}/connection/websocket`, {
      WebSocket,
      pingGraceMs: 400,
      backoff: { baseMs: 50, capMs: 200 },
    });
    const events: Extract<ClientEvent, { type: 'disconnected' }>[] = [];
    client.on('disconnected', (e) => events.push(e));
    client.connect();
    t.after(() => client.disconnect());
    await until(() => client.state === 'connected', 'connected');
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    assert.equal(events.length, 0, 'pings keep an idle connection up');

    const frozenAt = performance.now();
    child.kill('SIGSTOP');
    await until(() => events.length > 0, 'the SDK gave up on the frozen server', 4 * INTERVAL_MS);
    const detectedMs = Math.round(performance.now() - frozenAt);
    const lost = events[0];
    t.diagnostic(
      `server SIGSTOP → SDK closed after ${detectedMs} ms with ${lost.code} "${lost.reason}" (ping ${INTERVAL_MS} ` +
        `+ grace 400)`,
    );
    assert.equal(lost.code, 3012);
    assert.ok(lost.willReconnect);
    assert.ok(detectedMs <= INTERVAL_MS + 400 + 400, `detected in ${detectedMs} ms`);
    child.kill('SIGCONT');
    await until(() => client.state === 'connected', 'reconnected after SIGCONT');
  });
});
