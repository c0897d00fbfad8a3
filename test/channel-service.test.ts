// One channel service behind the HTTP API and the command handlers: the same
// fault gives the same reply error code on both paths (the API adds an HTTP status).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TestReplyError, type TestClient, type TestServer } from '@switchboard/testing';

describe('channel service: the API and the command path agree', () => {
  let t: TestServer;
  let client: TestClient;
  before(async () => {
    t = await startTestServer({
      namespaces: {
        chat: { allowPublish: true, history: { size: 10, ttlMs: 60_000 }, presence: true, maxDataSize: 100 },
        plain: { allowPublish: true },
      },
    });
    client = await t.client();
  });
  after(() => t.close());

  async function viaCommand(
    method: 'publish' | 'history' | 'presence' | 'presence_stats',
    params: object,
  ): Promise<number | 'ok'> {
    try {
      await client.command(method, params);
      return 'ok';
    } catch (error) {
      assert.ok(error instanceof TestReplyError, String(error));
      return error.code;
    }
  }

  async function viaApi(method: string, body: object): Promise<{ status: number; code: number | 'ok' }> {
    const res = await t.api(method, body);
    return { status: res.status, code: res.status === 200 ? 'ok' : res.body.error.code };
  }

  const big = { text: 'x'.repeat(200) };
  const cases: [
    fault: string,
    method: 'publish' | 'history' | 'presence' | 'presence_stats',
    params: Record<string, unknown>,
    code: number,
    status: number,
  ][] = [
    ['unknown namespace', 'publish', { channel: 'nope:a', data: 1 }, 102, 400],
    ['unknown namespace', 'history', { channel: 'nope:a' }, 102, 400],
    ['bad channel name', 'publish', { channel: 'chat:a b', data: 1 }, 107, 400],
    ['bad channel name', 'presence', { channel: 'no-colon' }, 107, 400],
    ['oversized data', 'publish', { channel: 'chat:a', data: big }, 106, 413],
    ['history not enabled', 'history', { channel: 'plain:a' }, 108, 400],
    ['presence not enabled', 'presence', { channel: 'plain:a' }, 108, 400],
    ['presence not enabled', 'presence_stats', { channel: 'plain:a' }, 108, 400],
    [
      'unrecoverable position',
      'history',
      { channel: 'chat:a', since: { offset: 1, epoch: 'not-the-epoch' } },
      112,
      409,
    ],
  ];

  it('gives the same code for each fault, through both paths', async () => {
    const rows: string[] = [];
    for (const [fault, method, params, code, status] of cases) {
      const command = await viaCommand(method, params);
      const api = await viaApi(method, params);
      rows.push(`${fault.padEnd(24)} ${method.padEnd(15)} command ${command}  api ${api.code} (HTTP ${api.status})`);
      assert.equal(command, code, `${fault} via command`);
      assert.deepEqual(api, { status, code }, `${fault} via API`);
    }
    console.log(rows.map((r) => `# ${r}`).join('\n'));
  });

  it('accepts data at the limit on both paths, and counts a byte array by its length', async () => {
    const fits = { t: 'y'.repeat(90) };
    assert.equal(await viaCommand('publish', { channel: 'chat:a', data: fits }), 'ok');
    assert.deepEqual(await viaApi('publish', { channel: 'chat:a', data: fits }), { status: 200, code: 'ok' });
    await assert.rejects(
      t.server.publish('chat:a', new Uint8Array(101)),
      (e: Error & { code?: number }) => e.code === 106,
    );
    assert.ok((await t.server.publish('chat:a', new Uint8Array(100))).offset > 0);
  });

  it('applies client rules only to clients: the backend may publish where clients may not', async () => {
    const t2 = await startTestServer({ namespaces: { news: {} } });
    try {
      const reader = await t2.client();
      await assert.rejects(
        reader.command('publish', { channel: 'news:a', data: 1 }),
        (e: TestReplyError) => e.code === 103,
      );
      assert.equal((await t2.api('publish', { channel: 'news:a', data: 1 })).status, 200);
    } finally {
      await t2.close();
    }
  });
});
