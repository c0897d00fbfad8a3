// Limits, each an option with a default and a documented code: the per-connection command rate (111), connections
// per user across a 2-node Redis cluster (3400), connections per node (3400), channels per node (106), presence
// members per channel (106), data size per namespace (106), API body (413), the API's CORS allow-list, and serve's
// `ulimit -n` warning.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import { parseReconnectAfter } from '@switchboard/wire';
import { openFileWarning } from '../packages/cli/src/commands/open-file-limit.js';
import { MemoryClient } from './helpers/memory-client.js';
import { BIN, stopChild, waitForLine } from './helpers/process.js';
import { until } from './helpers/wait.js';

const KEY = 'limits-test-api-key-0123456789';
const servers: SwitchboardServer[] = [];
async function start(options: ServerOptions): Promise<SwitchboardServer> {
  const server = createServer({
    apiKey: KEY,
    hooks: { onConnecting: (ctx) => ({ userId: ctx.token ?? '' }) },
    ...options,
  });
  servers.push(server);
  await server.start();
  return server;
}
async function connected(server: SwitchboardServer, token?: string): Promise<MemoryClient> {
  const c = new MemoryClient(server);
  const reply = await c.command('connect', token === undefined ? {} : { token });
  assert.ok(reply.result, JSON.stringify(reply.error));
  return c;
}

describe('limits', () => {
  after(() => Promise.all(servers.map((s) => s.close())));

  it('commandRate: a token bucket per connection; the excess gets 111 (temporary)', async () => {
    const server = await start({ commandRate: { perSecond: 20, burst: 5 } });
    const c = await connected(server, 'u');
    // connect took one token: 4 left of the burst.
    const replies = await Promise.all(Array.from({ length: 10 }, () => c.command('ping')));
    const codes = replies.map((r) => r.error?.code ?? 'ok');
    assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ok', 111, 111, 111, 111, 111, 111]);
    assert.deepEqual(replies[9].error, { code: 111, message: 'command rate exceeded', temporary: true });
    await sleep(120);
    assert.ok((await c.command('ping')).result, 'refilled at perSecond');
    assert.throws(() => createServer({ commandRate: { perSecond: 0, burst: 1 } }), /commandRate must be false or/);
  });

  it(
    'maxConnectionsPerUser across the cluster (2 nodes on Redis): the third connection gets 3400 with a reconnect ' +
      'window',
    async () => {
      const prefix = `sb-limits-${randomUUID().slice(0, 6)}:`;
      const options = { maxConnectionsPerUser: 2, engine: redisEngine({ prefix }) };
      const [a, b] = [await start(options), await start(options)];
      const first = await connected(a, 'kim');
      await connected(b, 'kim');
      const third = new MemoryClient(a);
      await assert.rejects(third.command('connect', { token: 'kim' }), /closed 3400/);
      assert.equal(third.closed!.code, 3400);
      assert.deepEqual(parseReconnectAfter(third.closed!.reason), { minMs: 5000, maxMs: 30_000 });
      // Other users and anonymous clients are not affected.
      await connected(b, 'lee');
      for (let i = 0; i < 3; i++) await connected(a);
      // A closed connection frees its place.
      first.close();
      await sleep(50);
      await connected(b, 'kim');
    },
  );

  it('maxConnections per node: beyond it, 3400 at once', async () => {
    const server = await start({ maxConnections: 2 });
    await connected(server, 'a');
    await connected(server, 'b');
    const third = new MemoryClient(server);
    assert.equal(third.closed!.code, 3400);
    assert.match(third.closed!.reason, /^node full; reconnect-after=1000-10000$/);
  });

  it('maxChannelsPerNode and maxPresenceMembers: 106; a refused presence member is never announced', async () => {
    const server = await start({
      maxChannelsPerNode: 2,
      namespaces: { room: { presence: true, joinLeave: true, maxPresenceMembers: 2 } },
    });
    const [x, y, z] = [await connected(server, 'x'), await connected(server, 'y'), await connected(server, 'z')];
    assert.ok((await x.command('subscribe', { channel: 'room:1' })).result);
    assert.ok((await x.command('subscribe', { channel: 'room:2' })).result);
    assert.deepEqual((await x.command('subscribe', { channel: 'room:3' })).error, {
      code: 106,
      message: 'this node serves at most 2 channels',
    });
    assert.ok((await y.command('subscribe', { channel: 'room:1' })).result, 'an existing channel is not a new one');
    assert.deepEqual((await z.command('subscribe', { channel: 'room:1' })).error, {
      code: 106,
      message: 'presence is full (2 members on this node)',
    });
    await sleep(50);
    const leaves = x.pushes.filter((p) => p.push === 'leave');
    assert.equal(leaves.length, 0);
    assert.equal((await x.command('presence', { channel: 'room:1' })).result.clients.length, 2);
  });

  it('maxDataSize per namespace (106, client and API alike) and maxApiBodySize (413)', async () => {
    const server = await start({
      maxApiBodySize: 1024,
      namespaces: { small: { maxDataSize: 10, allowPublish: true } },
    });
    const { port } = await server.listen(0);
    const c = await connected(server, 'p');
    assert.equal((await c.command('publish', { channel: 'small:a', data: 'x'.repeat(20) })).error?.code, 106);
    const api = (body: string) =>
      fetch(`http://127.0.0.1:${port}/api/publish`, {
        method: 'POST',
        headers: { authorization: `apikey ${KEY}` },
        body,
      });
    const big = await api(JSON.stringify({ channel: 'small:a', data: 'x'.repeat(20) }));
    assert.deepEqual([big.status, (await big.json()).error.code], [413, 106]);
    const huge = await api(JSON.stringify({ channel: 'small:a', data: 'x'.repeat(2000) }));
    assert.deepEqual([huge.status, (await huge.json()).error.code], [413, 106]);
  });

  it(
    'apiCorsOrigins: preflight 204 for a listed origin, 403 otherwise; responses carry Access-Control-Allow-Origin ' +
      'for it only',
    async () => {
      const server = await start({ apiCorsOrigins: ['https://admin.example'] });
      const { port } = await server.listen(0);
      const url = `http://127.0.0.1:${port}/api/info`;
      const ok = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://admin.example');
      assert.match(ok.headers.get('access-control-allow-headers')!, /authorization/);
      const refused = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
      assert.equal(refused.status, 403);
      const post = (origin: string) =>
        fetch(url, { method: 'POST', headers: { origin, authorization: `apikey ${KEY}` }, body: '{}' });
      const [good, bad] = [await post('https://admin.example'), await post('https://evil.example')];
      assert.equal(good.headers.get('access-control-allow-origin'), 'https://admin.example');
      assert.equal(bad.headers.get('access-control-allow-origin'), null);
      assert.throws(
        () => createServer({ apiCorsOrigins: ['https://x.example/'] }),
        /apiCorsOrigins\[0\] must be an origin/,
      );
    },
  );

  it('serve warns at start-up when ulimit -n is below maxConnections, with the fix', async () => {
    assert.equal(openFileWarning(65_536, 10_000), undefined);
    assert.equal(openFileWarning(1024, 0), undefined);
    const child = spawn('sh', ['-c', `ulimit -n 512 && exec "${BIN}" serve --port 0`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SWITCHBOARD_MAX_CONNECTIONS: '10000' },
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    try {
      const [line] = await waitForLine(child, /"level":"warn".*open-file limit.*\n/);
      assert.match(line, /"openFileLimit":512,"maxConnections":10000/);
      await until(() => err.includes('warning'), 'stderr warning');
      assert.match(
        err,
        /open-file limit \(ulimit -n\) is 512, below maxConnections 10000 \+ 128.*ulimit -n 10128.*LimitNOFILE=10128/,
      );
      console.log(`# ${err.trim()}`);
    } finally {
      await stopChild(child);
    }
  });
});
