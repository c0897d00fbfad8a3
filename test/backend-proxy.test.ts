// Backend proxies: connect, refresh, subscribe, publish, rpc and sub_refresh answered by a real backend HTTP server
// that the test starts; every answer shape (result, application error, disconnect) and every failure mode (timeout,
// 5xx, unreachable, a malformed answer) with its documented outcome.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import { TestClient } from '@switchboard/testing';
import { startBackend, type Backend, type BackendRequest } from './helpers/backend.js';
import { MemoryClient } from './helpers/memory-client.js';
import { until } from './helpers/wait.js';

const TIMEOUT_MS = 400;

/** The backend's rules, by event (the path). */
async function answer(request: BackendRequest): Promise<unknown> {
  const { body } = request;
  switch (request.path) {
    case '/connect': {
      const token = String(body.token ?? '');
      if (token === 'ban') return { disconnect: { code: 4501, reason: 'banned' } };
      if (token === 'slow') return sleep(TIMEOUT_MS * 3).then(() => ({ result: { user: 'late' } }));
      if (token === 'shapeless') return { result: { user: 42 } };
      if (!token.startsWith('good:')) return { error: { code: 1401, message: 'who are you?' } };
      const [, user, ttl] = token.split(':');
      return {
        result: {
          user,
          info: { name: user.toUpperCase() },
          channels: ['news:all'],
          expiresAt: ttl ? Date.now() + Number(ttl) : undefined,
        },
      };
    }
    case '/refresh':
      return body.user === 'short' ? { result: { expired: true } } : { result: { expiresAt: Date.now() + 60_000 } };
    case '/subscribe':
      if (String(body.channel).endsWith(':secret')) return { error: { code: 1403, message: 'not for you' } };
      if (String(body.channel).endsWith(':brief'))
        return { result: { info: { role: 'guest' }, expiresAt: Date.now() + 150 } };
      return { result: { info: { role: 'member' } } };
    case '/sub_refresh':
      // Extended once, then ended.
      return request.body.channel && subRefreshes++ === 0
        ? { result: { expiresAt: Date.now() + 150 } }
        : { result: { expired: true } };
    case '/publish':
      if (body.data?.text === 'spam') return { error: { code: 1429, message: 'no spam', temporary: false } };
      return body.data?.text === 'rewrite'
        ? { result: { data: { text: 'rewritten', by: body.user } } }
        : { result: {} };
    case '/rpc':
      if (body.method === 'fail') return { error: { code: 1500, message: 'app says no', temporary: true } };
      return { result: { data: { method: body.method, echo: body.data, user: body.user } } };
    default:
      throw new Error(`unexpected path ${request.path}`);
  }
}
let subRefreshes = 0;

const NAMESPACES: ServerOptions['namespaces'] = {
  chat: { presence: true, joinLeave: true, allowPublish: true },
  free: { allowPublish: true, proxy: [] },
  news: {},
};

function proxyTo(url: string, extra: object = {}): ServerOptions['proxy'] {
  const events = ['connect', 'refresh', 'subscribe', 'publish', 'rpc', 'sub_refresh'] as const;
  return {
    ...Object.fromEntries(events.map((e) => [e, { url: `${url}/${e}` }])),
    timeoutMs: TIMEOUT_MS,
    headers: ['X-Tenant'],
    cookies: ['sid'],
    ...extra,
  };
}

const REQUEST = {
  headers: { 'x-tenant': 'acme', cookie: 'sid=s3cr3t; theme=dark', authorization: 'Bearer never-forwarded' },
  remoteAddress: '203.0.113.9',
  url: '/connection/websocket',
};

describe('backend proxy: each event', () => {
  let backend: Backend;
  let server: SwitchboardServer;
  before(async () => {
    backend = await startBackend(answer);
    server = createServer({ namespaces: NAMESPACES, proxy: proxyTo(backend.url) });
    await server.listen(0);
  });
  after(async () => {
    await server.close();
    await backend.close();
  });
  const last = (path: string) => [...backend.requests].reverse().find((r) => r.path === path)!;

  it(
    'connect: the backend names the user, info, channels and expiry; the request carries the client and only the ' +
      'named headers and cookies',
    async () => {
      const c = new MemoryClient(server, REQUEST);
      const reply = await c.command('connect', { token: 'good:ann', data: { hi: 1 }, name: 'test' });
      assert.equal(reply.result.user, 'ann');
      assert.deepEqual(Object.keys(reply.result.subs), ['news:all']);
      const sent = last('/connect').body;
      assert.deepEqual(
        {
          event: sent.event,
          client: sent.client,
          transport: sent.transport,
          token: sent.token,
          data: sent.data,
          name: sent.name,
          headers: sent.headers,
        },
        {
          event: 'connect',
          client: reply.result.client,
          transport: 'memory',
          token: 'good:ann',
          data: { hi: 1 },
          name: 'test',
          headers: { 'x-tenant': 'acme', cookie: 'sid=s3cr3t' },
        },
      );
      // Later events carry the same headers, kept from the handshake.
      assert.equal((await c.command('rpc', { method: 'whoami', data: 1 })).result.user, 'ann');
      assert.deepEqual(last('/rpc').body.headers, { 'x-tenant': 'acme', cookie: 'sid=s3cr3t' });
      assert.equal(last('/rpc').body.client, reply.result.client);
      c.close();
    },
  );

  it('connect over a WebSocket: transport and remote address', async () => {
    const port = server.address!.port;
    const ws = await TestClient.open(`ws://127.0.0.1:${port}/connection/websocket`);
    await ws.connect({ token: 'good:bob' });
    const sent = last('/connect').body;
    assert.deepEqual([sent.transport, sent.remoteAddress], ['websocket', '127.0.0.1']);
    await ws.close();
  });

  it('connect: an application error is passed to the client; a disconnect closes with its code', async () => {
    const refused = new MemoryClient(server, REQUEST);
    assert.deepEqual((await refused.command('connect', { token: 'nope' })).error, {
      code: 1401,
      message: 'who are you?',
    });
    const banned = new MemoryClient(server, REQUEST);
    await assert.rejects(banned.command('connect', { token: 'ban' }), /closed 4501 banned/);
    assert.deepEqual(banned.closed, { code: 4501, reason: 'banned' });
  });

  it(
    'subscribe: allowed with channel info (in presence), refused with the app code; a namespace with proxy: [] ' +
      'is not asked',
    async () => {
      const c = new MemoryClient(server, REQUEST);
      await c.command('connect', { token: 'good:cy' });
      assert.ok((await c.command('subscribe', { channel: 'chat:room' })).result);
      assert.deepEqual(last('/subscribe').body.channel, 'chat:room');
      const presence = await c.command('presence', { channel: 'chat:room' });
      assert.deepEqual(presence.result.clients[0].chanInfo, { role: 'member' });
      assert.deepEqual((await c.command('subscribe', { channel: 'chat:secret' })).error, {
        code: 1403,
        message: 'not for you',
      });
      const before = backend.requests.length;
      assert.ok((await c.command('subscribe', { channel: 'free:x' })).result);
      assert.ok((await c.command('publish', { channel: 'free:x', data: { text: 'rewrite' } })).result);
      assert.equal(backend.requests.length, before, 'free: is off the proxy');
      c.close();
    },
  );

  it('publish: allowed as sent, rewritten, or refused', async () => {
    const c = new MemoryClient(server, REQUEST);
    await c.command('connect', { token: 'good:dee' });
    await c.command('subscribe', { channel: 'chat:pub' });
    assert.ok((await c.command('publish', { channel: 'chat:pub', data: { text: 'plain' } })).result);
    assert.ok((await c.command('publish', { channel: 'chat:pub', data: { text: 'rewrite' } })).result);
    assert.deepEqual((await c.command('publish', { channel: 'chat:pub', data: { text: 'spam' } })).error, {
      code: 1429,
      message: 'no spam',
    });
    await until(() => c.pushes.filter((p) => p.push === 'publication').length === 2, 'two publications');
    const datas = c.pushes
      .filter((p) => p.push === 'publication')
      .map((p) => (p as { pub: { data: unknown } }).pub.data);
    assert.deepEqual(datas, [{ text: 'plain' }, { text: 'rewritten', by: 'dee' }]);
    c.close();
  });

  it('rpc: any method by name, the result goes back; an app error passes with its temporary flag', async () => {
    const c = new MemoryClient(server, REQUEST);
    await c.command('connect', { token: 'good:eve' });
    assert.deepEqual((await c.command('rpc', { method: 'any.thing', data: [1, 2] })).result, {
      method: 'any.thing',
      echo: [1, 2],
      user: 'eve',
    });
    assert.deepEqual((await c.command('rpc', { method: 'fail', data: null })).error, {
      code: 1500,
      message: 'app says no',
      temporary: true,
    });
    c.close();
  });

  it('refresh: expiring credentials are extended by the backend, or the session ends (3005)', async () => {
    const kept = new MemoryClient(server, REQUEST);
    await kept.command('connect', { token: 'good:long:100' });
    const ended = new MemoryClient(server, REQUEST);
    await ended.command('connect', { token: 'good:short:100' });
    await until(() => ended.closed !== undefined, 'short session ended', 3000);
    assert.equal(ended.closed!.code, 3005);
    await sleep(100);
    assert.equal(kept.closed, undefined);
    assert.ok(backend.requests.some((r) => r.path === '/refresh' && r.body.user === 'long'));
    assert.equal(kept.pushes.filter((p) => p.push === 'refresh').length, 0, 'the client was not asked');
    // A client's own refresh goes to the same endpoint, with its token.
    assert.deepEqual(Object.keys((await kept.command('refresh', { token: 't2' })).result), ['expiresAt']);
    assert.equal(last('/refresh').body.token, 't2');
    kept.close();
  });

  it('sub_refresh: expiring channel access is extended, then ended with 3006 (the client resubscribes)', async () => {
    subRefreshes = 0;
    const c = new MemoryClient(server, REQUEST);
    await c.command('connect', { token: 'good:fay' });
    assert.ok((await c.command('subscribe', { channel: 'chat:brief' })).result);
    const push = await c.push((p) => p.push === 'unsubscribe', 3000);
    assert.deepEqual(push, { push: 'unsubscribe', channel: 'chat:brief', code: 3006, reason: 'subscription expired' });
    assert.equal(backend.requests.filter((r) => r.path === '/sub_refresh').length, 2);
    c.close();
  });
});

describe('backend proxy: each failure mode has its documented outcome (116, temporary) and nothing hangs', () => {
  let backend: Backend;
  const servers: SwitchboardServer[] = [];
  before(async () => {
    backend = await startBackend(answer);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await backend.close();
  });
  async function connectVia(proxy: ServerOptions['proxy'], token = 'good:x') {
    const server = createServer({ namespaces: NAMESPACES, proxy });
    servers.push(server);
    await server.start();
    const c = new MemoryClient(server, REQUEST);
    const started = performance.now();
    const reply = await c.command('connect', { token });
    return { reply, ms: performance.now() - started, c };
  }

  it('timeout → 116 "backend unavailable: timeout", after timeoutMs', async () => {
    const { reply, ms } = await connectVia(proxyTo(backend.url), 'slow');
    assert.deepEqual(reply.error, { code: 116, message: 'backend unavailable: timeout', temporary: true });
    assert.ok(ms >= TIMEOUT_MS - 5 && ms < TIMEOUT_MS + 300, `answered after ${ms} ms`);
  });

  it('5xx → 116 "backend unavailable: HTTP 503"', async () => {
    const failing = await startBackend((_req, res) => void res.writeHead(503).end('down'));
    try {
      const { reply } = await connectVia(proxyTo(failing.url));
      assert.deepEqual(reply.error, { code: 116, message: 'backend unavailable: HTTP 503', temporary: true });
    } finally {
      await failing.close();
    }
  });

  it('unreachable → 116 "backend unavailable: unreachable"', async () => {
    const gone = await startBackend(() => ({}));
    const url = gone.url;
    await gone.close();
    const { reply, ms } = await connectVia(proxyTo(url));
    assert.deepEqual(reply.error, { code: 116, message: 'backend unavailable: unreachable', temporary: true });
    assert.ok(ms < TIMEOUT_MS, `answered after ${ms} ms`);
  });

  it('a malformed answer → 100 (logged), and an RPC failure mid-session leaves the connection open', async () => {
    const { reply } = await connectVia(proxyTo(backend.url), 'shapeless');
    assert.deepEqual(reply.error, { code: 100, message: 'internal error', temporary: true });
    const flaky = await startBackend(answer);
    const { c } = await connectVia(proxyTo(flaky.url));
    flaky.handle = (_req, res) => void res.writeHead(502).end();
    assert.deepEqual((await c.command('rpc', { method: 'm', data: null })).error, {
      code: 116,
      message: 'backend unavailable: HTTP 502',
      temporary: true,
    });
    assert.ok((await c.command('ping')).result);
    await flaky.close();
  });

  it('maxQueued → 116 "backend unavailable: busy" at once past the queue; the queued ones answered', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const gate = await startBackend(async (request) => {
      await held;
      return { result: { data: request.body.data } };
    });
    try {
      // Commands of one session run one at a time: four sessions, so four requests reach the proxy's queue at once.
      const { c } = await connectVia({
        ...proxyTo(backend.url),
        rpc: { url: `${gate.url}/rpc` },
        timeoutMs: 5000,
        maxInFlight: 1,
        maxQueued: 2,
      });
      const others: MemoryClient[] = [];
      for (let i = 0; i < 3; i++) {
        const other = new MemoryClient(servers.at(-1)!, REQUEST);
        await other.command('connect', { token: 'good:x' });
        others.push(other);
      }
      const first = c.command('rpc', { method: 'm', data: 0 });
      await until(() => gate.inFlight === 1, 'one request at the backend');
      const queued = [1, 2].map((data) => others[data - 1].command('rpc', { method: 'm', data }));
      await sleep(50);
      const started = performance.now();
      const refused = await others[2].command('rpc', { method: 'm', data: 3 });
      assert.deepEqual(refused.error, { code: 116, message: 'backend unavailable: busy', temporary: true });
      assert.ok(performance.now() - started < 1000, 'refused without waiting');
      release();
      assert.deepEqual(
        (await Promise.all([first, ...queued])).map((r) => r.result),
        [0, 1, 2],
      );
      assert.equal(gate.peakInFlight, 1);
      assert.equal(gate.requests.length, 3, 'the refused one never reached the backend');
    } finally {
      await gate.close();
    }
  });

  it('rejects a bad proxy config, naming the option', () => {
    assert.throws(
      () => createServer({ proxy: { connect: { url: 'ftp://x' } } }),
      /proxy\.connect\.url must be http: or https:/,
    );
    assert.throws(() => createServer({ proxy: { maxInFlight: 0 } }), /proxy\.maxInFlight must be a positive integer/);
    assert.throws(
      () => createServer({ proxy: { connect: { url: 'http://x' } }, hooks: { onConnecting: () => ({ userId: '' }) } }),
      /choose one/,
    );
    assert.throws(
      () => createServer({ namespaces: { a: { proxy: ['nope' as 'publish'] } } }),
      /namespace "a": proxy must be a list/,
    );
  });
});
