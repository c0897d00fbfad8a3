// `switchboard serve` with one webhook from flags or the environment: events reach a real receiver
// (verified by `standardwebhooks`); a URL without a secret is a usage error (exit 2).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, it } from 'node:test';
import { TestClient } from '@switchboard/testing';
import { BIN, startServe, stopChild } from './helpers/process.js';
import { startReceiver } from './helpers/webhook-receiver.js';

const children: Parameters<typeof stopChild>[0][] = [];
after(() => Promise.all(children.map(stopChild)));

it(
  '--webhook URL --webhook-secret S: ' +
    'the demo serve posts every event of a session (its chat namespace has presence)',
  async () => {
    const receiver = await startReceiver();
    const { child, base } = await startServe([
      '--port',
      '0',
      '--webhook',
      receiver.url,
      '--webhook-secret',
      receiver.secret,
    ]);
    children.push(child);
    const c = await TestClient.open(`${base.replace('http', 'ws')}/connection/websocket`);
    await c.connect({});
    await c.command('subscribe', { channel: 'chat:cli' });
    await c.close();
    await receiver.until(
      (ev) =>
        ev.some((e) => e.type === 'disconnect') &&
        ev.some((e) => e.type === 'channel_vacated') &&
        ev.some((e) => e.type === 'member_removed'),
    );
    assert.deepEqual(
      new Set(receiver.events.map((e) => e.type)),
      new Set([
        'connect',
        'subscribe',
        'unsubscribe',
        'channel_occupied',
        'channel_vacated',
        'member_added',
        'member_removed',
        'disconnect',
      ]),
    );
    assert.equal(receiver.stats.rejected, 0);
    await receiver.close();
  },
);

it('SWITCHBOARD_WEBHOOK_URL without SWITCHBOARD_WEBHOOK_SECRET exits 2 with one line', () => {
  const run = spawnSync(BIN, ['serve', '--port', '0'], {
    env: { ...process.env, SWITCHBOARD_WEBHOOK_URL: 'http://127.0.0.1:9/hook' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /a webhook needs both a URL and a secret/);
});
