// WebSocketTransport as its shell's one listener, over real sockets with a `ws` client.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WS from 'ws';
import { WebSocketServer, type AcceptedConnection } from '@switchboard/websocket';
import { JsonCodec } from '@switchboard/wire';
import { SharedMessage } from '../src/transports/transport.js';
import { WebSocketTransport } from '../src/transports/websocket/websocket-transport.js';

describe('WebSocketTransport', () => {
  let server: WebSocketServer;
  let url: string;
  let accepted: ((connection: AcceptedConnection) => void) | undefined;
  let connectionEvents = 0;

  before(async () => {
    server = new WebSocketServer({ accept: (connection) => accepted?.(connection) });
    server.on('connection', () => connectionEvents++);
    url = `ws://127.0.0.1:${(await server.listen(0)).port}`;
  });
  after(() => server.close());

  /** A transport bound to a recording inbound port, and the ws client at its other end. */
  async function open() {
    const events: string[] = [];
    const transportReady = new Promise<WebSocketTransport>((resolve) => {
      accepted = (connection) => {
        const transport = new WebSocketTransport(connection, new JsonCodec());
        transport.bind({
          receive: (commands) => {
            const names = commands.map((c) => ('method' in c ? `${c.method}#${c.id}` : `invalid: ${c.message}`));
            events.push(`receive ${names.join(', ')}`);
          },
          malformed: (reason) => events.push(`malformed ${reason}`),
          alive: () => events.push('alive'),
          closed: (code, reason) => events.push(`close ${code} ${reason}`),
        });
        resolve(transport);
      };
    });
    const client = new WS(url);
    await once(client, 'open');
    return { transport: await transportReady, client, events };
  }

  it(
    'decodes messages with its protocol, encodes what it sends, carries keepalive answers and the close; ' +
      'the server itself neither announces nor tracks the connection',
    async () => {
      const { transport, client, events } = await open();
      assert.equal(transport.info.remoteAddress, '127.0.0.1');
      assert.equal(transport.info.name, 'websocket');
      client.send('[{"id":1,"method":"ping"},{"id":2}]');
      client.send('not json');
      transport.write({ id: 1, result: {} });
      const [reply, isBinary] = await once(client, 'message');
      assert.deepEqual([reply.toString(), isBinary], ['{"id":1,"result":{}}', false]);
      transport.ping();
      await once(client, 'ping'); // ws answers it before anything sent later
      client.close(4001, 'bye');
      await once(client, 'close');
      assert.deepEqual(events, [
        'receive ping#1, invalid: unknown method undefined',
        'malformed message is not valid JSON',
        'alive',
        'close 4001 bye',
      ]);
      assert.deepEqual([connectionEvents, server.clients.size], [0, 0]);
    },
  );

  it('frames a shared message once for every transport; writes after close are dropped', async () => {
    const a = await open();
    const b = await open();
    const message = new SharedMessage(new TextEncoder().encode('{"pub":1}'), { push: 'ping' });
    const received = Promise.all([a, b].map(({ client }) => once(client, 'message')));
    const prepare = WebSocketServer.prepare;
    let framings = 0;
    WebSocketServer.prepare = (...args) => (framings++, prepare(...args));
    try {
      a.transport.writeShared(message);
      b.transport.writeShared(message);
    } finally {
      WebSocketServer.prepare = prepare;
    }
    assert.equal(framings, 1, 'the second transport reuses the first framing');
    assert.deepEqual(
      (await received).map(([data]) => data.toString()),
      ['{"pub":1}', '{"pub":1}'],
    );
    a.transport.close(3000, 'done');
    a.transport.write({ push: 'ping' });
    a.transport.writeShared(message);
    const [code, reason] = await once(a.client, 'close');
    assert.deepEqual([code, reason.toString()], [3000, 'done']);
    b.client.close();
  });

  it(
    'onceDrained fires once the backlog is written, also when the socket takes it at once, ' +
      'and at once with no backlog',
    async () => {
      const { transport, client } = await open();
      transport.writeShared(new SharedMessage(new Uint8Array(2 * 1024 * 1024).fill(0x20), { push: 'ping' }));
      assert.ok(transport.bufferedAmount > 2 * 1024 * 1024);
      const drained = new Promise<void>((resolve) => transport.onceDrained(resolve));
      await drained;
      assert.equal(transport.bufferedAmount, 0);
      await new Promise<void>((resolve) => transport.onceDrained(resolve));
      client.close();
    },
  );
});
