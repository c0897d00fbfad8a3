// Bytes end to end over the real server, on the memory engine and on Redis: a publication with a Uint8Array
// reaches MessagePack subscribers as bytes (live, in history, in recovery), JSON SDK subscribers as bytes too,
// and a raw JSON client as the documented {"$bytes": base64} form; JSON publications reach MessagePack clients
// as the same values. Each publication is encoded once per codec, whatever the number of subscribers; malformed
// MessagePack gets the documented answers (107, or close 3002).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, type Publication } from '@switchboard/client';
import { MsgpackCodec } from '@switchboard/client/msgpack';
import { deleteNatsStreams, natsEngine } from '@switchboard/engine-nats';
import { redisEngine } from '@switchboard/engine-redis';
import type { ServerOptions } from '@switchboard/server';
import { startTestServer, TestClient, TEST_API_KEY, type TestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { JsonCodec, Subprotocol, type Push, type SubscribeResult } from '@switchboard/wire';

/** Counts the publication pushes a codec encodes. */
class Counting<C extends JsonCodec | MsgpackCodec> {
  publications = 0;
  constructor(readonly codec: C) {
    const encode = codec.encodePush.bind(codec);
    codec.encodePush = (push: Push) => {
      if (push.push === 'publication') this.publications++;
      return encode(push);
    };
  }
}

const BYTES = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
const BASE64 = Buffer.from(BYTES).toString('base64');

const NATS_PREFIX = `binary_${process.pid}_${Date.now().toString(36)}`;
const engines: [string, () => ServerOptions['engine'], cleanUp?: () => Promise<void>][] = [
  ['memory', () => undefined],
  ['redis', () => redisEngine({ urls: ['redis://127.0.0.1:6379'], prefix: `binary:${process.pid}:${Date.now()}:` })],
  ['nats', () => natsEngine({ prefix: NATS_PREFIX }), () => deleteNatsStreams(['nats://127.0.0.1:4222'], NATS_PREFIX)],
];

for (const [engineName, engine, cleanUp] of engines) {
  describe(`binary publications (${engineName} engine)`, { timeout: 30_000 }, () => {
    let t: TestServer;
    const json = new Counting(new JsonCodec());
    const msgpack = new Counting(new MsgpackCodec());
    const clients: Client[] = [];
    const sdk = (codec?: MsgpackCodec) => {
      const client = new Client(t.url, { WebSocket: WebSocket as never, codec, network: null });
      clients.push(client);
      client.connect();
      return client;
    };
    /** The publications `client` gets on `channel`, and a wait for the n-th. */
    const collect = (client: Client, channel: string) => {
      const got: Publication[] = [];
      let wake = () => {};
      client.subscribe(channel).on('publication', (p) => (got.push(p), wake()));
      const until = async (n: number) => {
        while (got.length < n) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
        return got;
      };
      return { got, until };
    };
    const api = async (method: string, body: string) => {
      const res = await fetch(`${t.httpUrl}/api/${method}`, {
        method: 'POST',
        headers: { authorization: `apikey ${TEST_API_KEY}` },
        body,
      });
      return { status: res.status, text: await res.text() };
    };

    before(async () => {
      t = await startTestServer({
        engine: engine(),
        codecs: [json.codec, msgpack.codec],
        namespaces: { files: { history: { size: 100, ttlMs: 60_000 }, allowPublish: true } },
      });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await t.close();
      await cleanUp?.();
    });

    it(
      'a MessagePack SDK publication with bytes: bytes to MessagePack and JSON SDK clients, {"$bytes": base64} ' +
        'on the JSON wire; once per codec',
      async () => {
        const subscribers = [sdk(new MsgpackCodec()), sdk(new MsgpackCodec()), sdk(new MsgpackCodec()), sdk(), sdk()];
        const seen = subscribers.map((c) => collect(c, 'files:live'));
        const raw = new WebSocket(t.url, Subprotocol.Json);
        const texts: string[] = [];
        raw.addEventListener('message', (e) => texts.push(String((e as MessageEvent).data)));
        await new Promise((r) => raw.addEventListener('open', r));
        raw.send(JSON.stringify({ id: 1, method: 'connect', params: { subs: { 'files:live': {} } } }));
        for (const c of subscribers)
          await new Promise<void>((r) =>
            c.getSubscription('files:live')!.state === 'subscribed'
              ? r()
              : c.getSubscription('files:live')!.on('state', (e) => e.state === 'subscribed' && r()),
          );
        while (texts.length === 0) await new Promise((r) => setTimeout(r, 10));
        const before = { json: json.publications, msgpack: msgpack.publications };

        const publisher = sdk(new MsgpackCodec());
        await publisher.publish('files:live', { name: 'a.bin', body: BYTES });
        for (const { until } of seen) {
          const [pub] = await until(1);
          const body = (pub.data as { body: Uint8Array }).body;
          assert.equal(body.constructor, Uint8Array);
          assert.deepStrictEqual(body, BYTES);
        }
        while (texts.length < 2) await new Promise((r) => setTimeout(r, 10));
        assert.deepStrictEqual(JSON.parse(texts[1]).pub.data, { name: 'a.bin', body: { $bytes: BASE64 } });
        assert.deepStrictEqual(
          { json: json.publications - before.json, msgpack: msgpack.publications - before.msgpack },
          { json: 1, msgpack: 1 },
          'one encoding per codec for 3 + 3 subscribers',
        );
        raw.close();
      },
    );

    it(
      'a JSON publication reaches a MessagePack client as the same values; ' + 'a tagged API publication as bytes',
      async () => {
        const client = sdk(new MsgpackCodec());
        const { until } = collect(client, 'files:mixed');
        await new Promise<void>((r) =>
          client.getSubscription('files:mixed')!.on('state', (e) => e.state === 'subscribed' && r()),
        );
        assert.equal(
          (
            await api(
              'publish',
              JSON.stringify({ channel: 'files:mixed', data: { n: 1.5, s: 'é🎉', list: [null, true] } }),
            )
          ).status,
          200,
        );
        assert.equal(
          (await api('publish', JSON.stringify({ channel: 'files:mixed', data: { $bytes: BASE64 } }))).status,
          200,
        );
        const [first, second] = await until(2);
        assert.deepStrictEqual(first.data, { n: 1.5, s: 'é🎉', list: [null, true] });
        assert.deepStrictEqual(second.data, BYTES);
      },
    );

    it(
      'malformed MessagePack from a client: a bad command with an id gets 107, bytes that do not decode close with ' +
        '3002',
      async () => {
        const client = await TestClient.open(t.url, { codec: new MsgpackCodec() });
        await client.connect();
        const bad = client.command('presence', { channel: 42 });
        await assert.rejects(bad, (e: Error & { code?: number }) => e.code === 107);
        client.raw(Uint8Array.from([0xc1, 0xff, 0x00]));
        assert.deepStrictEqual(await client.closed, { code: 3002, reason: 'message is not valid MessagePack' });
      },
    );

    it('bytes survive history (SDK and HTTP API) and recovery', async () => {
      const publisher = sdk(new MsgpackCodec());
      const first = await publisher.publish('files:kept', BYTES);
      await publisher.publish('files:kept', { body: BYTES.subarray(0, 3) });

      const history = await publisher.history('files:kept');
      assert.deepStrictEqual(
        history.publications.map((p) => p.data),
        [BYTES, { body: BYTES.subarray(0, 3) }],
      );
      const viaJson = await sdk().history('files:kept');
      assert.deepStrictEqual(
        viaJson.publications.map((p) => p.data),
        [BYTES, { body: BYTES.subarray(0, 3) }],
      );
      const apiHistory = await api('history', JSON.stringify({ channel: 'files:kept' }));
      assert.deepStrictEqual(
        JSON.parse(apiHistory.text).publications.map((p: { data: unknown }) => p.data),
        [{ $bytes: BASE64 }, { body: { $bytes: Buffer.from(BYTES.subarray(0, 3)).toString('base64') } }],
      );

      const since = { offset: first.offset - 1, epoch: first.epoch };
      const recovering = await TestClient.open(t.url, { codec: new MsgpackCodec() });
      const result = (await recovering.connect({ subs: { 'files:kept': { since } } })).subs[
        'files:kept'
      ] as SubscribeResult;
      assert.equal(result.recovered, true);
      assert.deepStrictEqual(
        result.publications!.map((p) => p.data),
        [BYTES, { body: BYTES.subarray(0, 3) }],
      );
      await recovering.close();
    });
  });
}
