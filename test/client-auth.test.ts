// Credentials over a connection's life, server and SDK together: refresh in place before expiry, the server's
// refresh request and grace period (3005), expired tokens at connect, invalid tokens and signed-out users (terminal).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ClientErrorCode, ClientState, type ClientEvent, type ClientOptions } from '@switchboard/client';
import { CommandError, DisconnectError } from '@switchboard/server';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { DisconnectCode, ReplyErrorCode } from '@switchboard/wire';
import { until } from './helpers/wait.js';

const GRACE_MS = 300;
/** Test credentials: `user.expiresAtMs`; anything else is invalid. */
const token = (user: string, ttlMs: number) => `${user}.${Date.now() + ttlMs}`;
function verify(value: string | undefined): { userId: string; expiresAt: number } {
  const m = /^([a-z0-9-]+)\.(\d+)$/.exec(value ?? '');
  if (!m) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token');
  return { userId: m[1], expiresAt: Number(m[2]) };
}

describe('credentials: refresh, expiry, terminal paths', () => {
  let t: TestServer;
  const refreshes: string[] = [];
  before(async () => {
    t = await startTestServer({
      allowAnonymous: false,
      tokenGraceMs: GRACE_MS,
      namespaces: { room: { history: { size: 100, ttlMs: 60_000 } } },
      hooks: {
        onConnecting: (ctx) => verify(ctx.token),
        onRefresh: (ctx, value) => {
          const { userId, expiresAt } = verify(value);
          if (userId !== ctx.userId) throw new CommandError(ReplyErrorCode.PermissionDenied, 'another user');
          refreshes.push(userId);
          return { expiresAt };
        },
      },
    });
  });
  after(() => t.close());

  const open = (options: ClientOptions) =>
    new Client(t.url, { WebSocket: WebSocket, backoff: { baseMs: 10, capMs: 50 }, ...options });
  const record = (client: Client) => {
    const seen: ClientEvent[] = [];
    for (const type of ['connected', 'disconnected', 'error'] as const) client.on(type, (e) => seen.push(e));
    return seen;
  };

  it('refreshes in place ahead of expiry: several refreshes, one connection', async (ctx) => {
    let issued = 0;
    const client = open({ getToken: async () => (issued++, token('ann', 600)), refreshAheadMs: 300 });
    ctx.after(() => client.disconnect());
    const seen = record(client);
    client.connect();
    await sleep(2000);
    assert.equal(client.state, ClientState.Connected);
    assert.deepEqual(
      seen.map((e) => e.type),
      ['connected'],
      'no disconnect, no error',
    );
    // A 600 ms lifetime refreshed 300 ms ahead: about every 300 ms.
    assert.ok(issued >= 4, `getToken called ${issued} times`);
    assert.ok(refreshes.filter((u) => u === 'ann').length >= 3);
  });

  it('asks for a refresh when credentials expire, then disconnects with 3005 after the grace period', async (ctx) => {
    const raw = await t.client({ token: token('bob', 200) });
    ctx.after(() => raw.close());
    const started = Date.now();
    const ask = await raw.expectPush((p) => p.push === 'refresh', 'refresh request');
    assert.deepEqual(ask, { push: 'refresh', graceMs: GRACE_MS });
    const closed = await raw.closed;
    assert.equal(closed.code, DisconnectCode.Expired);
    assert.ok(Date.now() - started >= 200 + GRACE_MS - 20, `closed after ${Date.now() - started} ms`);
  });

  it(
    'a refresh within the grace period keeps the connection; ' +
      'a refresh with an expired or foreign token is refused',
    async (ctx) => {
      const raw = await t.client({ token: token('cat', 150) });
      ctx.after(() => raw.close());
      await raw.expectPush((p) => p.push === 'refresh', 'refresh request');
      const expiresAt = Date.now() + 60_000;
      assert.deepEqual(await raw.command('refresh', { token: `cat.${expiresAt}` }), { expiresAt });
      await sleep(GRACE_MS + 100);
      assert.deepEqual(await raw.command('ping'), {}, 'still connected after the grace period');
      await assert.rejects(
        raw.command('refresh', { token: token('cat', -1) }),
        (e: { code: number }) => e.code === ReplyErrorCode.TokenExpired,
      );
      await assert.rejects(
        raw.command('refresh', { token: token('zed', 1000) }),
        (e: { code: number }) => e.code === ReplyErrorCode.PermissionDenied,
      );
    },
  );

  it(
    'when every refresh fails, the server ends the connection (3005) and the SDK reconnects with a fresh token and ' +
      'recovers',
    async (ctx) => {
      let backendDown = false; // while "down", the auth backend hands out expired tokens
      const client = open({
        getToken: async () => (backendDown ? token('dan', -1000) : token('dan', 400)),
        refreshAheadMs: 200,
      });
      ctx.after(() => client.disconnect());
      const seen = record(client);
      client.on('connected', () => (backendDown = true));
      client.on('disconnected', () => (backendDown = false));
      const got: unknown[] = [];
      client.subscribe('room:dan').on('publication', (p) => got.push(p.data));
      client.connect();
      await until(
        () => seen.some((e) => e.type === 'disconnected'),
        'disconnected at the end of the grace period',
        3000,
      );
      await t.api('publish', { channel: 'room:dan', data: 1 }); // while it is away
      await until(() => client.state === ClientState.Connected && got.length === 1, 'reconnected and recovered');
      const drop = seen.find((e) => e.type === 'disconnected');
      assert.deepEqual(drop && [drop.code, drop.willReconnect], [DisconnectCode.Expired, true]);
      assert.ok(
        seen.some((e) => e.type === 'error' && e.error.code === ReplyErrorCode.TokenExpired),
        'the failed refreshes were reported',
      );
      assert.deepEqual(seen.filter((e) => e.type === 'connected').length, 2);
    },
  );

  it('connects with getToken after the first token turned out expired', async (ctx) => {
    const tokens = [token('eve', -1), token('eve', 60_000)];
    const client = open({ getToken: async () => tokens.shift() ?? token('eve', 60_000) });
    ctx.after(() => client.disconnect());
    const seen = record(client);
    client.connect();
    await until(() => client.state === ClientState.Connected, 'connected');
    assert.deepEqual(
      seen.map((e) => (e.type === 'disconnected' ? `${e.type} ${e.code} ${e.willReconnect}` : e.type)),
      [`disconnected ${DisconnectCode.Expired} true`, 'connected'],
    );
  });

  it('is terminal for an expired static token, an invalid token, and getToken resolving null', async (ctx) => {
    const cases: [ClientOptions, number][] = [
      [{ token: token('fay', -1) }, DisconnectCode.InvalidToken],
      [{ token: 'not a token' }, DisconnectCode.InvalidToken],
      [{ getToken: async () => null }, DisconnectCode.Unauthorized],
    ];
    for (const [options, code] of cases) {
      const client = open(options);
      ctx.after(() => client.disconnect());
      const seen = record(client);
      client.connect();
      await until(() => client.state === ClientState.Closed, `closed (${code})`);
      await sleep(100);
      assert.deepEqual(
        seen.map((e) => e.type === 'disconnected' && [e.code, e.willReconnect]),
        [[code, false]],
      );
      await assert.rejects(client.publish('room:x', 1), (e: { code: number }) => e.code === ClientErrorCode.Closed);
    }
  });

  it('retries when getToken throws, reporting TokenUnavailable', async (ctx) => {
    let calls = 0;
    const client = open({
      getToken: async () => {
        if (++calls <= 2) throw new Error('auth service unavailable');
        return token('gus', 60_000);
      },
    });
    ctx.after(() => client.disconnect());
    const seen = record(client);
    client.connect();
    await until(() => client.state === ClientState.Connected, 'connected');
    assert.deepEqual(
      seen.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.error.code),
      [ClientErrorCode.TokenUnavailable, ClientErrorCode.TokenUnavailable],
    );
  });
});
