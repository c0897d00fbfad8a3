// Bad input to the real-time server: each gets its documented reply error or disconnect code; no crash, bounded memory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient, TestReplyError, startTestServer, type TestServer } from '@switchboard/testing';

describe('real-time server bad input', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ namespaces: { chat: {}, vip: { allowSubscribe: 'token' } }, connectTimeoutMs: 300 });
  });
  after(() => t.close());

  const open = () => TestClient.open(t.url);

  it('malformed JSON → disconnect 3002', async () => {
    const c = await t.client();
    c.raw('{"id":1,"method":');
    assert.equal((await c.closed).code, 3002);
  });

  it('an unknown command → reply error 107, and the connection stays', async () => {
    const c = await t.client();
    await assert.rejects(c.command('explode' as never), (e: unknown) => e instanceof TestReplyError && e.code === 107);
    assert.deepEqual(await c.command('ping'), {});
    await c.close();
  });

  it('a command without a readable id → disconnect 3002', async () => {
    const c = await t.client();
    c.raw('{"method":"ping"}');
    assert.equal((await c.closed).code, 3002);
  });

  it('a command over the message limit → close 1009', async () => {
    const c = await t.client();
    c.raw(JSON.stringify({ id: 9, method: 'publish', params: { channel: 'chat:a', data: 'x'.repeat(100_000) } }));
    assert.equal((await c.closed).code, 1009);
  });

  it('a command before connect → disconnect 3002; no connect in time → 3007', async () => {
    const early = await open();
    early.raw(JSON.stringify({ id: 1, method: 'subscribe', params: { channel: 'chat:a' } }));
    assert.deepEqual(await early.closed, { code: 3002, reason: 'command before connect' });
    const idle = await open();
    assert.equal((await idle.closed).code, 3007);
  });

  it('a subscribe to a forbidden channel → 103; to an unknown namespace → 102', async () => {
    const c = await t.client();
    await assert.rejects(
      c.command('subscribe', { channel: 'vip:x' }),
      (e: unknown) => e instanceof TestReplyError && e.code === 103,
    );
    await assert.rejects(
      c.command('subscribe', { channel: 'secret:x' }),
      (e: unknown) => e instanceof TestReplyError && e.code === 102,
    );
    await c.close();
  });

  it('10,000 subscribes from one client: 128 succeed, the rest get 106 or 111, memory stays bounded', async () => {
    const c = await t.client();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const settled = await Promise.allSettled(
      Array.from({ length: 10_000 }, (_, k) => c.command('subscribe', { channel: `chat:s${k}` })),
    );
    const codes = new Map<string, number>();
    for (const r of settled) {
      const key = r.status === 'fulfilled' ? 'ok' : String((r.reason as TestReplyError).code);
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    console.log(`10,000 subscribes: ${JSON.stringify(Object.fromEntries(codes))}`);
    assert.equal(codes.get('ok'), 128);
    assert.equal((codes.get('106') ?? 0) + (codes.get('111') ?? 0), 10_000 - 128);
    const { body } = await t.api('channels');
    assert.equal(Object.keys(body.channels).length, 128);
    global.gc?.();
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'heap growth under 64 MiB');
    assert.deepEqual(await c.command('ping'), {});
    await c.close();
  });
});
