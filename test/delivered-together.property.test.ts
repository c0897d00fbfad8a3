// Property: publications that arrive together are delivered together without reordering. Since issue 21
// a socket's output is flushed once per event-loop turn (after the poll phase), so several publications
// that reach a node in one read — pipelined HTTP API publishes, a client's publish commands, broker
// deliveries from Redis — leave in one write per subscriber. fast-check chooses the interleavings: which
// sources publish to which channels in each burst, and how far apart the bursts are. Every subscriber
// must then see, per channel, contiguous offsets with nothing lost or repeated, each source's
// publications in the order it sent them, and (on the memory engine, where the publish is delivered
// before it returns) the publisher's reply after the push its publish caused.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { TEST_API_KEY } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { NdjsonReader, postJson } from './helpers/http-transport-peers.js';
import { until } from './helpers/wait.js';

const CHANNELS = 3;
const SUBSCRIBERS = 3;
const NAMESPACES = { feed: { history: { size: 1000, ttlMs: 60_000 }, allowPublish: true } };

type Message = {
  id?: number;
  result?: { offset: number };
  push?: string;
  channel?: string;
  pub?: { offset: number; data: { s: string; n: number } };
};

/** A protocol-level peer that logs every message in arrival order (replies and pushes interleaved). */
class LogPeer {
  readonly log: Message[] = [];
  private nextId = 1;
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => this.log.push(JSON.parse(String((e as MessageEvent).data)) as Message));
  }
  static async open(port: number): Promise<LogPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`, 'switchboard.v1.json');
    await new Promise(
      (resolve, reject) => (ws.addEventListener('open', resolve), ws.addEventListener('error', reject)),
    );
    const peer = new LogPeer(ws);
    await peer.request('connect', {});
    return peer;
  }
  /** Sends a command now (commands sent in one turn leave in one write); returns its id. */
  send(method: string, params: object): number {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return id;
  }
  async request(method: string, params: object): Promise<void> {
    const id = this.send(method, params);
    await until(() => this.log.some((m) => m.id === id), `reply ${id} to ${method}`);
  }
  publications(channel: string) {
    return this.log.flatMap((m) => (m.push === 'publication' && m.channel === channel ? [m.pub!] : []));
  }
  close(): void {
    this.ws.close();
  }
}

/** One keep-alive HTTP connection to the API that sends a burst of publishes as one pipelined write. */
class PipelinedApi {
  private buffered = '';
  private answered = 0;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let i; (i = this.buffered.indexOf('HTTP/1.1 ')) >= 0; ) {
        const status = this.buffered.slice(i + 9, i + 12);
        assert.equal(status, '200', `API answer: ${this.buffered.slice(i, i + 300)}`);
        this.buffered = this.buffered.slice(i + 12);
        this.answered++;
      }
    });
  }
  static async open(port: number): Promise<PipelinedApi> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return new PipelinedApi(socket);
  }
  sent = 0;
  publish(bodies: object[]): void {
    const requests = bodies.map((b) => {
      const body = JSON.stringify(b);
      return (
        `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey ${TEST_API_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
    });
    this.sent += bodies.length;
    this.socket.write(requests.join(''));
  }
  settled(): boolean {
    return this.answered === this.sent;
  }
  close(): void {
    this.socket.destroy();
  }
}

const burst = fc.array(fc.record({ source: fc.nat(2), channel: fc.nat(CHANNELS - 1) }), {
  minLength: 1,
  maxLength: 12,
});
const plan = fc.array(fc.record({ ops: burst, gap: fc.constantFrom('none', 'turn', '1ms') }), {
  minLength: 1,
  maxLength: 6,
});

/**
 * Runs `runs` interleavings against the nodes: source 0 is the command client on the first node, 1 a
 * pipelined API connection to the first node, 2 one to the last node (crossing the engine when there are two).
 */
async function checkInterleavings(nodes: SwitchboardServer[], runs: number, replyAfterPush: boolean): Promise<string> {
  const ports = nodes.map((n) => n.address!.port);
  const publisher = await LogPeer.open(ports[0]);
  const subscribers = await Promise.all(
    Array.from({ length: SUBSCRIBERS }, (_, i) => LogPeer.open(ports[i % ports.length])),
  );
  const apis = [await PipelinedApi.open(ports[0]), await PipelinedApi.open(ports[ports.length - 1])];
  let run = 0;
  let deliveries = 0;
  try {
    await fc.assert(
      fc.asyncProperty(plan, async (bursts) => {
        const channels = Array.from({ length: CHANNELS }, (_, c) => `feed:r${run}c${c}`);
        run++;
        for (const peer of [publisher, ...subscribers])
          for (const channel of channels) await peer.request('subscribe', { channel });
        const sent = new Map<string, { s: string; n: number }[]>(channels.map((c) => [c, []]));
        const replies: { id: number; channel: string }[] = [];
        let n = 0;
        for (const { ops, gap } of bursts) {
          const byApi: object[][] = [[], []];
          for (const { source, channel } of ops) {
            const data = { s: `src${source}`, n: n++ };
            sent.get(channels[channel])!.push(data);
            if (source === 0)
              replies.push({
                id: publisher.send('publish', { channel: channels[channel], data }),
                channel: channels[channel],
              });
            else byApi[source - 1].push({ channel: channels[channel], data });
          }
          byApi.forEach((bodies, i) => bodies.length > 0 && apis[i].publish(bodies));
          if (gap === 'turn') await tick();
          else if (gap === '1ms') await sleep(1);
        }
        const total = (peer: LogPeer) => channels.reduce((sum, c) => sum + peer.publications(c).length, 0);
        await until(
          () =>
            [publisher, ...subscribers].every((p) => total(p) >= n) &&
            apis.every((a) => a.settled()) &&
            replies.every((r) => publisher.log.some((m) => m.id === r.id)),
          `${n} publications everywhere`,
          10_000,
        );
        await tick();
        for (const [i, peer] of [publisher, ...subscribers].entries()) {
          for (const channel of channels) {
            const pubs = peer.publications(channel);
            deliveries += pubs.length;
            assert.deepEqual(
              pubs.map((p) => p.offset),
              pubs.map((_, k) => k + 1),
              `peer ${i} ${channel}: contiguous offsets from 1, none lost or repeated`,
            );
            const expected = sent.get(channel)!;
            assert.equal(pubs.length, expected.length, `peer ${i} ${channel}: every publication`);
            for (const source of ['src0', 'src1', 'src2']) {
              const order = (list: { s: string; n: number }[]) => list.filter((d) => d.s === source).map((d) => d.n);
              assert.deepEqual(
                order(pubs.map((p) => p.data)),
                order(expected),
                `peer ${i} ${channel}: ${source}'s publications in the order sent`,
              );
            }
          }
        }
        if (replyAfterPush) {
          for (const { id, channel } of replies) {
            const at = publisher.log.findIndex((m) => m.id === id);
            const offset = publisher.log[at].result!.offset;
            const pushAt = publisher.log.findIndex(
              (m) => m.push === 'publication' && m.channel === channel && m.pub!.offset === offset,
            );
            assert.ok(
              pushAt >= 0 && pushAt < at,
              `reply ${id} (offset ${offset} on ${channel}) came after the push it caused`,
            );
          }
        }
        for (const peer of [publisher, ...subscribers])
          for (const channel of channels) peer.send('unsubscribe', { channel });
      }),
      { numRuns: runs },
    );
  } finally {
    for (const peer of [publisher, ...subscribers]) peer.close();
    for (const api of apis) api.close();
  }
  return `${run} interleavings, ${deliveries} deliveries checked`;
}

describe('publications delivered together keep their order (fast-check)', { timeout: 180_000 }, () => {
  const nodes: SwitchboardServer[] = [];
  const start = async (options: Parameters<typeof createServer>[0]) => {
    const node = createServer({ allowAnonymous: true, apiKey: TEST_API_KEY, namespaces: NAMESPACES, ...options });
    await node.listen(0, '127.0.0.1');
    nodes.push(node);
    return node;
  };
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
  });

  it('one node, memory engine: per-channel order, per-source order, replies after their pushes', async () => {
    const summary = await checkInterleavings([await start({})], 40, true);
    console.log(`# memory engine: ${summary}; 0 violations`);
  });

  describe('two nodes on Redis', () => {
    const prefix = `together:${process.pid}:${Date.now()}:`;
    let pair: SwitchboardServer[];
    before(async () => {
      pair = [await start({ engine: redisEngine({ prefix }) }), await start({ engine: redisEngine({ prefix }) })];
    });
    it('per-channel order and per-source order, with deliveries crossing Redis', async () => {
      const summary = await checkInterleavings(pair, 20, false);
      console.log(`# two nodes on Redis: ${summary}; 0 violations`);
    });
  });

  it('HTTP streaming: the publications of one turn leave in one write to the stream', async () => {
    const node = createServer({ allowAnonymous: true, apiKey: TEST_API_KEY, namespaces: NAMESPACES });
    const http = createHttpServer((req, res) => node.handleRequest(req, res) || res.writeHead(404).end());
    node.attach(http);
    let writes = 0;
    http.on('connection', (socket: Socket & { _writeGeneric: (...args: unknown[]) => unknown }) => {
      const write = socket._writeGeneric.bind(socket);
      // each call is one write (or writev) to the kernel
      socket._writeGeneric = (...args) => (writes++, write(...args));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const reader = await NdjsonReader.open(`${base}/connection/stream`, {
      method: 'POST',
      body: JSON.stringify({ id: 1, method: 'connect', params: {} }),
    });
    const { result } = await reader.until(
      (m) => m.find((x) => x.id === 1) as { result: { session: string; node: string } } | undefined,
    );
    const sub = await postJson(`${base}/connection/emulation`, {
      node: result.node,
      session: result.session,
      seq: 1,
      data: { id: 2, method: 'subscribe', params: { channel: 'feed:stream' } },
    });
    assert.equal(sub.status, 200);
    await reader.until((m) => m.some((x) => x.id === 2));
    await sleep(50);
    const before = writes;
    // Five callbacks of one check phase, each a macrotask of its own, as requests parsed from one read are
    // (within one macrotask Node's response already coalesces its writes until the next tick).
    for (const n of [1, 2, 3, 4, 5]) setImmediate(() => void node.publish('feed:stream', n));
    const pubs = await reader.until((m) => {
      const p = m.filter((x) => x.push === 'publication').map((x) => (x.pub as { data: number }).data);
      return p.length === 5 ? p : undefined;
    });
    assert.deepEqual(pubs, [1, 2, 3, 4, 5]);
    assert.equal(writes - before, 1, 'five publications of one turn, one write');
    reader.close();
    await node.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
});
