// relaySockets: a TCP proxy's two legs, over real loopback sockets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { relaySockets } from '../src/index.js';

/** An echo server, and a proxy to it whose relays report their end. */
async function proxyToEcho(): Promise<{
  port: number;
  ended: Promise<void>;
  legs: Promise<[Socket, Socket]>;
  servers: Server[];
}> {
  const echo = createServer((s) => s.on('error', () => {}).pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  let ended!: () => void;
  let legs!: (pair: [Socket, Socket]) => void;
  const endedP = new Promise<void>((r) => (ended = r));
  const legsP = new Promise<[Socket, Socket]>((r) => (legs = r));
  const proxy = createServer((inbound) => {
    const outbound = connect((echo.address() as { port: number }).port, '127.0.0.1');
    legs([inbound, outbound]);
    relaySockets(inbound, outbound, ended);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return { port: (proxy.address() as { port: number }).port, ended: endedP, legs: legsP, servers: [echo, proxy] };
}

describe('relaySockets', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('carries bytes both ways, and a client that ends ends both legs once', async () => {
    const p = await proxyToEcho();
    servers.push(...p.servers);
    const client = connect(p.port, '127.0.0.1');
    client.write('hello');
    const [echoed] = (await once(client, 'data')) as [Buffer];
    assert.equal(echoed.toString(), 'hello');
    client.end();
    await once(client, 'close');
    await p.ended;
    const [inbound, outbound] = await p.legs;
    assert.ok(inbound.destroyed && outbound.destroyed);
  });

  it('a reset of one leg destroys the other and ends the relay', async () => {
    const p = await proxyToEcho();
    servers.push(...p.servers);
    const client = connect(p.port, '127.0.0.1');
    client.on('error', () => {});
    const [inbound, outbound] = await p.legs;
    outbound.resetAndDestroy();
    await p.ended;
    assert.ok(inbound.destroyed);
    await once(client, 'close');
  });
});
