// JWT authentication against real servers and real sockets: the verification matrix (HS256, RS256, ES256, JWKS;
// forged, confused, unsigned, expired and misaddressed tokens), expiry and refresh mid-subscription through the SDK,
// per-command permissions, subscribe tokens, and the verification cache.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ClientState, type ClientEvent } from '@switchboard/client';
import { TestReplyError, startTestServer, type TestServer } from '@switchboard/testing';
import { startTcpProxy } from '@switchboard/testing/internal';
import { WebSocket } from '@switchboard/websocket';
import { DisconnectCode, ReplyErrorCode, type Push } from '@switchboard/wire';
import {
  AUDIENCE,
  ISSUER,
  SECRET,
  connectOutcome,
  expiryOf,
  hs,
  keyPair,
  sign,
  startJwksServer,
  unsecured,
} from './helpers/jwt.js';
import { until } from './helpers/wait.js';

const rejectsWith = (code: number) => (e: unknown) => e instanceof TestReplyError && e.code === code;
const NAMESPACES = {
  chat: { history: { size: 10, ttlMs: 60_000 }, presence: true, allowPublish: true },
  news: { history: { size: 10, ttlMs: 60_000 }, presence: true, allowPublish: true },
  vip: { allowSubscribe: 'token' as const },
};
const GRACE_MS = 1500;

/** Counts token checks, and how many the verification cache answered. */
function countVerifications() {
  const counts = { verified: 0, cached: 0 };
  const listener = (message: unknown) =>
    (message as { cached: boolean }).cached ? counts.cached++ : counts.verified++;
  subscribe('switchboard:jwt:verify', listener);
  return { counts, stop: () => unsubscribe('switchboard:jwt:verify', listener) };
}

describe('JWT authentication', { timeout: 60_000 }, () => {
  let rsa: Awaited<ReturnType<typeof keyPair>>;
  let ec: Awaited<ReturnType<typeof keyPair>>;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  const servers: Record<'hs' | 'rs' | 'es' | 'jwks', TestServer> = {} as never;

  before(async () => {
    [rsa, ec] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1')]);
    jwks = await startJwksServer([rsa.jwk, ec.jwk]);
    const common = {
      allowAnonymous: false,
      tokenGraceMs: GRACE_MS,
      namespaces: NAMESPACES,
      hooks: { onRpc: { echo: (_ctx: unknown, data: unknown) => data, admin: () => 'secret' } },
    };
    const jwt = { issuer: ISSUER, audience: AUDIENCE };
    servers.hs = await startTestServer({ ...common, jwt: { ...jwt, secret: SECRET } });
    servers.rs = await startTestServer({ ...common, jwt: { ...jwt, publicKey: rsa.pem } });
    servers.es = await startTestServer({ ...common, jwt: { ...jwt, publicKey: ec.pem } });
    servers.jwks = await startTestServer({ ...common, jwt: { ...jwt, jwksUrl: jwks.url } });
  });
  after(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await jwks?.close();
  });

  it('accepts valid tokens and refuses the rest with the documented code (the matrix)', async (t) => {
    const user = { sub: 'alice' };
    const cases: [string, keyof typeof servers, () => Promise<string | undefined> | string | undefined, string][] = [
      ['HS256 valid', 'hs', () => hs(user), 'user alice'],
      ['RS256 valid', 'rs', () => sign(rsa.privateKey, 'RS256', user), 'user alice'],
      ['ES256 valid', 'es', () => sign(ec.privateKey, 'ES256', user), 'user alice'],
      [
        'JWKS RS256 valid (kid rsa-1)',
        'jwks',
        () => sign(rsa.privateKey, 'RS256', user, { kid: 'rsa-1' }),
        'user alice',
      ],
      ['JWKS ES256 valid (kid ec-1)', 'jwks', () => sign(ec.privateKey, 'ES256', user, { kid: 'ec-1' }), 'user alice'],
      [
        'HS256 bad signature (other secret)',
        'hs',
        () => hs(user, {}, 'another-secret-0123456789-0123456789'),
        'disconnect 3500',
      ],
      [
        'RS256 signed by another key',
        'rs',
        async () => sign((await keyPair('RS256', 'x')).privateKey, 'RS256', user),
        'disconnect 3500',
      ],
      ['wrong alg: RS256 token to an HS256 server', 'hs', () => sign(rsa.privateKey, 'RS256', user), 'disconnect 3500'],
      [
        'alg confusion: HS256 keyed with the RSA public PEM',
        'rs',
        () => sign(new TextEncoder().encode(rsa.pem), 'HS256', user),
        'disconnect 3500',
      ],
      [
        'alg confusion at the JWKS server',
        'jwks',
        () => sign(new TextEncoder().encode(rsa.pem), 'HS256', user, { kid: 'rsa-1' }),
        'disconnect 3500',
      ],
      ['alg none (unsigned)', 'hs', () => unsecured(user), 'disconnect 3500'],
      ['alg none at the RS256 server', 'rs', () => unsecured(user), 'disconnect 3500'],
      ['JWKS unknown kid', 'jwks', () => sign(rsa.privateKey, 'RS256', user, { kid: 'nope' }), 'disconnect 3500'],
      ['expired (exp 10 s ago)', 'hs', () => hs(user, { ttl: -10 }), `reply ${ReplyErrorCode.TokenExpired}`],
      [
        'expired, RS256',
        'rs',
        () => sign(rsa.privateKey, 'RS256', user, { ttl: -10 }),
        `reply ${ReplyErrorCode.TokenExpired}`,
      ],
      ['wrong issuer', 'hs', () => hs(user, { issuer: 'https://evil.test' }), 'disconnect 3500'],
      ['no issuer', 'es', () => sign(ec.privateKey, 'ES256', user, { issuer: null }), 'disconnect 3500'],
      ['wrong audience', 'hs', () => hs(user, { audience: 'another-app' }), 'disconnect 3500'],
      ['no sub', 'hs', () => hs({}), 'disconnect 3500'],
      ['malformed allow claim', 'hs', () => hs({ ...user, allow: { subscribe: 'chat:*' } }), 'disconnect 3500'],
      ['a subscribe token used to connect', 'hs', () => hs({ ...user, channel: 'vip:x' }), 'disconnect 3500'],
      ['not a JWT', 'hs', () => 'not.a.jwt', 'disconnect 3500'],
      ['no token (anonymous off)', 'hs', () => undefined, 'disconnect 3502'],
    ];
    const rows: string[] = [];
    for (const [name, server, token, expected] of cases) {
      const got = await connectOutcome(servers[server].url, await token());
      rows.push(`| ${name.padEnd(50)} | ${server.padEnd(4)} | ${expected.padEnd(15)} | ${got.padEnd(15)} |`);
      assert.equal(got, expected, name);
    }
    for (const row of [
      '| case                                               | key  | expected        | got             |',
      ...rows,
    ])
      t.diagnostic(row);
    assert.equal(jwks.fetches(), 1, 'the key set was fetched once for every JWKS token');
  });

  it('carries info, channels and expiry into the connection', async () => {
    const t = servers.hs;
    const token = await hs({ sub: 'bob', info: { name: 'Bob' }, channels: ['news:bob'] }, { ttl: 120 });
    const bob = await t.client({ token, subs: { 'chat:lobby': {} } });
    assert.deepEqual(Object.keys(bob.connected!.subs).sort(), ['chat:lobby', 'news:bob']);
    assert.equal(bob.connected!.expiresAt, expiryOf(token));
    const { clients } = (await bob.command('presence', { channel: 'chat:lobby' })) as {
      clients: { userId: string; connInfo: unknown }[];
    };
    assert.deepEqual(
      clients.map((c) => [c.userId, c.connInfo]),
      [['bob', { name: 'Bob' }]],
    );
    await bob.close();
  });

  it(
    'a token that expires during a live subscription ' + 'is refreshed through the SDK on the same connection',
    async () => {
      const t = servers.hs;
      const pushes: string[] = [];
      // The SDK's own socket, tapped: the server's refresh push must reach it.
      class TappedWebSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols);
          this.addEventListener('message', (e) => {
            const message = JSON.parse(String((e as MessageEvent).data)) as Push;
            if ('push' in message) pushes.push(message.push);
          });
        }
      }
      let issued = 0;
      const client = new Client(t.url, {
        WebSocket: TappedWebSocket,
        // No refresh ahead of time; a slow token service, so the server's push comes first.
        refreshAheadMs: 0,
        getToken: async () => (
          issued++ > 0 && (await sleep(300)), hs({ sub: 'carol' }, { ttl: issued === 1 ? 1 : 60 })
        ),
      });
      const events: ClientEvent['type'][] = [];
      for (const type of ['connected', 'disconnected'] as const) client.on(type, () => events.push(type));
      const got: unknown[] = [];
      client.subscribe('chat:carol').on('publication', (p) => got.push(p.data));
      let firstExpiry = 0;
      client.on('connected', (e) => (firstExpiry ||= e.expiresAt ?? 0));
      client.connect();
      await until(() => got.length === 0 && client.state === ClientState.Connected, 'connected');
      await sleep(50);
      await t.api('publish', { channel: 'chat:carol', data: 'before expiry' });
      await until(() => pushes.includes('refresh'), 'the refresh push', 3000);
      assert.ok(Date.now() >= firstExpiry, 'pushed once the first token expired');
      await until(() => issued >= 2, 'getToken called for the refresh');
      await sleep(GRACE_MS + 200); // past the grace period: a refresh that failed would have cost the connection
      await t.api('publish', { channel: 'chat:carol', data: 'after refresh' });
      await until(() => got.length === 2, 'both publications');
      assert.deepEqual(got, ['before expiry', 'after refresh']);
      assert.deepEqual(events, ['connected'], 'one connection, never dropped');
      client.disconnect();
    },
  );

  it('without a valid refresh the connection ends with 3005; a refresh for another user is refused', async () => {
    const t = servers.hs;
    const raw = await t.client({ token: await hs({ sub: 'dan' }, { ttl: 1 }), subs: { 'chat:dan': {} } });
    await raw.expectPush((p) => p.push === 'refresh', 'refresh push');
    await assert.rejects(
      raw.command('refresh', { token: await hs({ sub: 'eve' }) }),
      rejectsWith(ReplyErrorCode.PermissionDenied),
    );
    await assert.rejects(
      raw.command('refresh', { token: await hs({ sub: 'dan' }, { ttl: -5 }) }),
      rejectsWith(ReplyErrorCode.TokenExpired),
    );
    assert.equal((await raw.closed).code, DisconnectCode.Expired);
    const forged = await t.client({ token: await hs({ sub: 'dan' }) });
    await forged.command('refresh', { token: unsecured({ sub: 'dan' }) }).catch(() => undefined);
    assert.equal((await forged.closed).code, DisconnectCode.InvalidToken, 'a forged refresh token ends the connection');
  });

  it(
    'checks permissions on every command: subscribe, ' + 'history, presence, publish, rpc; a refresh replaces them',
    async () => {
      const t = servers.hs;
      const allow = { subscribe: ['chat:*'], publish: ['chat:*'], rpc: ['echo'] };
      const client = await t.client({ token: await hs({ sub: 'fay', allow }) });
      await client.command('subscribe', { channel: 'chat:a' });
      await client.command('history', { channel: 'chat:a' });
      await client.command('presence', { channel: 'chat:a' });
      await client.command('publish', { channel: 'chat:a', data: 1 });
      assert.equal(await client.command('rpc', { method: 'echo', data: 'hi' }), 'hi');
      const denied: [string, object][] = [
        ['subscribe', { channel: 'news:a' }],
        ['history', { channel: 'news:a' }],
        ['presence', { channel: 'news:a' }],
        ['presence_stats', { channel: 'news:a' }],
        ['publish', { channel: 'news:a', data: 1 }],
        ['rpc', { method: 'admin', data: null }],
      ];
      for (const [method, params] of denied)
        await assert.rejects(
          client.command(method as 'subscribe', params),
          rejectsWith(103),
          `${method} ${JSON.stringify(params)}`,
        );

      // The same connection, new permissions: checked per command, not fixed at connect.
      await client.command('refresh', { token: await hs({ sub: 'fay', allow: { subscribe: ['news:*'] } }) });
      await client.command('subscribe', { channel: 'news:b' });
      await assert.rejects(client.command('publish', { channel: 'chat:a', data: 2 }), rejectsWith(103));
      await assert.rejects(client.command('history', { channel: 'chat:a' }), rejectsWith(103));
      await client.command('refresh', { token: await hs({ sub: 'fay' }) });
      await client.command('publish', { channel: 'chat:a', data: 3 }); // no allow claim: the namespace rules alone
      await client.close();
    },
  );

  it('applies permissions from onConnecting as well', async () => {
    const t = await startTestServer({
      namespaces: NAMESPACES,
      hooks: { onConnecting: () => ({ userId: 'gus', permissions: { subscribe: ['chat:*'] } }) },
    });
    const client = await t.client({});
    await client.command('subscribe', { channel: 'chat:x' });
    await assert.rejects(client.command('subscribe', { channel: 'news:x' }), rejectsWith(103));
    await assert.rejects(client.command('publish', { channel: 'chat:x', data: 1 }), rejectsWith(103));
    await t.close();
  });

  it('opens token namespaces with a subscribe token for that channel and that user only', async () => {
    const t = servers.hs;
    const client = await t.client({ token: await hs({ sub: 'hal' }) });
    const attempt = async (token: string | undefined, channel = 'vip:room') => {
      try {
        await client.command('subscribe', { channel, ...(token && { token }) });
        await client.command('unsubscribe', { channel });
        return 'ok';
      } catch (error) {
        return `reply ${(error as TestReplyError).code}`;
      }
    };
    assert.equal(await attempt(await hs({ sub: 'hal', channel: 'vip:room' })), 'ok');
    assert.equal(await attempt(await hs({ sub: 'hal', channel: 'vip:other' })), 'reply 103', 'another channel');
    assert.equal(await attempt(await hs({ sub: 'ivy', channel: 'vip:room' })), 'reply 103', 'another user');
    assert.equal(await attempt(await hs({ sub: 'hal' })), 'reply 103', 'a connection token');
    assert.equal(
      await attempt(await hs({ sub: 'hal', channel: 'vip:room' }, {}, 'another-secret-0123456789-0123456789')),
      'reply 103',
      'forged',
    );
    assert.equal(await attempt(await hs({ sub: 'hal', channel: 'vip:room' }, { ttl: -5 })), 'reply 109', 'expired');
    assert.equal(await attempt(undefined), 'reply 103', 'no token');
    await client.close();
  });

  it("keeps a subscribe token across SDK reconnects (sent again in connect's subs)", async () => {
    const t = servers.hs;
    const proxy = await startTcpProxy(Number(new URL(t.httpUrl).port));
    const client = new Client(t.url.replace(/:\d+\//, `:${proxy.port}/`), {
      WebSocket,
      token: await hs({ sub: 'hal' }),
      backoff: { baseMs: 20, capMs: 50 },
    });
    const sub = client.subscribe('vip:room', { token: await hs({ sub: 'hal', channel: 'vip:room' }) });
    const states: string[] = [];
    sub.on('state', (e) => states.push(e.error ? `${e.state} ${e.error.code}` : e.state));
    client.connect();
    try {
      await until(() => sub.state === 'subscribed', 'subscribed');
      proxy.cutAll();
      await until(() => states.filter((s) => s === 'subscribed').length === 2, `resubscribed: ${states.join(', ')}`);
      assert.deepEqual(states, ['subscribed', 'subscribing', 'subscribed']);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('verifies a token once: a reconnect with the same token is answered by the cache', async () => {
    const { counts, stop } = countVerifications();
    try {
      const token = await hs({ sub: 'jay' });
      for (let i = 0; i < 5; i++) assert.equal(await connectOutcome(servers.hs.url, token), 'user jay');
      assert.deepEqual(counts, { verified: 1, cached: 4 });
      const before = jwks.fetches();
      const viaJwks = await sign(ec.privateKey, 'ES256', { sub: 'jay' }, { kid: 'ec-1' });
      for (let i = 0; i < 3; i++) assert.equal(await connectOutcome(servers.jwks.url, viaJwks), 'user jay');
      assert.deepEqual(counts, { verified: 2, cached: 6 });
      assert.equal(jwks.fetches(), before, 'the key set is cached too');
    } finally {
      stop();
    }
  });

  it('bounds the cache (least recently used out), and never serves a token past its exp', async () => {
    const t = await startTestServer({ allowAnonymous: false, jwt: { secret: SECRET, cacheSize: 2 } });
    const { counts, stop } = countVerifications();
    try {
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => hs({ sub }, { issuer: null, audience: null })));
      for (const token of [a, b, c]) await connectOutcome(t.url, token);
      assert.deepEqual(counts, { verified: 3, cached: 0 });
      assert.equal(await connectOutcome(t.url, c), 'user c');
      assert.equal(await connectOutcome(t.url, a), 'user a');
      assert.deepEqual(counts, { verified: 4, cached: 1 }, 'a was evicted, c was not');
      const short = await hs({ sub: 'k' }, { ttl: 1, issuer: null, audience: null });
      assert.equal(await connectOutcome(t.url, short), 'user k');
      await sleep(expiryOf(short) - Date.now() + 50);
      assert.equal(
        await connectOutcome(t.url, short),
        `reply ${ReplyErrorCode.TokenExpired}`,
        'expired, though cached before',
      );
    } finally {
      stop();
      await t.close();
    }
  });
});
