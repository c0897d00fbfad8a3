// `serve --pusher-app ID:KEY:SECRET` and SWITCHBOARD_PUSHER_APPS: pusher-js connects to each app, and the SDK triggers
// through it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { startServe, stopChild } from './helpers/process.js';
import { connected, nextEvent, pusherClient, sdk, subscribed } from './helpers/pusher-peers.js';

describe('serve with Pusher apps', () => {
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) await stopChild(child);
  });

  for (const [how, args, env] of [
    [
      '--pusher-app',
      ['--pusher-app', 'cli1:cli1-key:cli1-secret-xyz', '--pusher-app', 'cli2:cli2-key:cli2-secret-xyz'],
      {},
    ],
    [
      'SWITCHBOARD_PUSHER_APPS',
      [],
      { SWITCHBOARD_PUSHER_APPS: 'cli1:cli1-key:cli1-secret-xyz,cli2:cli2-key:cli2-secret-xyz' },
    ],
  ] as const) {
    it(`serves the apps of ${how}`, async () => {
      const { child, base } = await startServe(['--port', '0', ...args], { ...process.env, ...env });
      children.push(child);
      const port = Number(new URL(base).port);
      const app = { id: 'cli2', key: 'cli2-key', secret: 'cli2-secret-xyz' };
      const client = pusherClient(port, { app });
      try {
        await connected(client);
        const { channel } = await subscribed(client, 'private-cli');
        const got = nextEvent(channel, 'hello');
        await sdk(port, app).trigger('private-cli', 'hello', { via: how });
        assert.deepEqual(await got, { via: how });
      } finally {
        client.disconnect();
      }
    });
  }
});
