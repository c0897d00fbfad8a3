// The SDK on what Node itself offers, when nothing is injected: the global WebSocket (Node 22+, undici's,
// browser-compatible), the global fetch (HTTP streaming, long-polling) and the global EventSource (Node 22+
// behind --experimental-eventsource). Injected constructors still win over the globals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client, type ClientEvent, type ClientOptions } from '@switchboard/client';
import { MsgpackCodec } from '@switchboard/client/msgpack';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { WebSocket as NodeWebSocket } from '@switchboard/websocket';

const major = Number(process.versions.node.split('.')[0]);
const hasGlobalWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';

/** Connects, subscribes, publishes one message and resolves with what arrived and over which transport. */
async function roundTrip(
  url: string,
  options: ClientOptions,
  channel: string,
): Promise<{ data: unknown; transport: string }> {
  const client = new Client(url, { backoff: { baseMs: 10, capMs: 50 }, upgradeProbeMs: 0, ...options });
  try {
    const connected = new Promise<Extract<ClientEvent, { type: 'connected' }>>((resolve) =>
      client.on('connected', resolve),
    );
    const received = new Promise<unknown>((resolve) =>
      client.subscribe(channel).on('publication', (p) => resolve(p.data)),
    );
    client.connect();
    await client.publish(channel, { text: 'hello', bytes: new Uint8Array([1, 2, 3]) });
    const [data, { transport }] = await Promise.all([received, connected]);
    return { data, transport };
  } finally {
    client.disconnect();
  }
}

describe('the SDK on Node globals', { timeout: 60_000 }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ namespaces: { room: { allowPublish: true } } });
  });
  after(() => t.close());
  const expected = { text: 'hello', bytes: new Uint8Array([1, 2, 3]) };

  it('takes the global WebSocket when none is injected (JSON and MessagePack)', {
    skip: !hasGlobalWebSocket && `Node ${process.version} has no global WebSocket`,
  }, async () => {
    const json = await roundTrip(t.url, { transports: ['websocket'] }, 'room:global-json');
    assert.deepEqual(json, { data: expected, transport: 'websocket' });
    const binary = await roundTrip(
      t.url,
      { transports: ['websocket'], codec: new MsgpackCodec() },
      'room:global-msgpack',
    );
    assert.deepEqual(binary, { data: expected, transport: 'websocket' });
  });

  it('an injected WebSocket wins over the global', async () => {
    let made = 0;
    class Counting extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        made++;
      }
    }
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    global.WebSocket = class {
      constructor() {
        throw new Error('the global WebSocket was used');
      }
    };
    try {
      assert.deepEqual(await roundTrip(t.url, { transports: ['websocket'], WebSocket: Counting }, 'room:injected'), {
        data: expected,
        transport: 'websocket',
      });
    } finally {
      global.WebSocket = saved;
    }
    assert.ok(made >= 1);
  });

  it('takes the global fetch for HTTP streaming and long-polling', async () => {
    assert.deepEqual(await roundTrip(t.url, { transports: ['http-stream'] }, 'room:fetch-stream'), {
      data: expected,
      transport: 'http-stream',
    });
    assert.deepEqual(await roundTrip(t.url, { transports: ['long-poll'] }, 'room:fetch-poll'), {
      data: expected,
      transport: 'long-poll',
    });
  });

  it('takes the global EventSource (node --experimental-eventsource) for SSE', {
    skip: major < 22 && `Node ${process.version} has no EventSource`,
  }, async () => {
    // A child of its own, so that the flag's global stays out of this process (and out of the other tests).
    const code = `
      import { Client } from '@switchboard/client';
      const client = new Client(process.argv[1], { transports: ['sse'], upgradeProbeMs: 0 });
      client.on('connected', (e) => console.log('connected', e.transport));
      const received = new Promise((resolve) => client.subscribe('room:sse').on('publication', (p) => resolve(p.data)));
      client.connect();
      await client.publish('room:sse', { text: 'hello' });
      console.log('received', JSON.stringify(await received));
      client.disconnect();
    `;
    const child = spawn(
      process.execPath,
      ['--experimental-eventsource', '--no-warnings', '--input-type=module', '-e', code, t.url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const [status] = await once(child, 'exit');
    clearTimeout(timer);
    assert.equal(status, 0, stdout);
    assert.match(stdout, /^connected sse$/m);
    assert.match(stdout, /^received \{"text":"hello"\}$/m);
  });
});
