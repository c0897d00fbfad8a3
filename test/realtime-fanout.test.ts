// 1,000 real connections on 100 channels: every publication reaches every subscriber exactly once, in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestClient, startTestServer, type TestServer } from '@switchboard/testing';

const CHANNELS = 100;
const PER_CHANNEL = 10;
const PUBLICATIONS = 20;

describe('fan-out', { timeout: 120_000 }, () => {
  let t: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    t = await startTestServer({ namespaces: { room: { history: { size: 50, ttlMs: 60_000 } } } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await t.close();
  });

  it(
    `delivers ${PUBLICATIONS} publications to ${CHANNELS * PER_CHANNEL} subscribers on ${CHANNELS} channels, ` +
      `exactly once each, in order`,
    async () => {
      const channelOf = (i: number) => `room:c${i % CHANNELS}`;
      for (let start = 0; start < CHANNELS * PER_CHANNEL; start += 100) {
        const batch = await Promise.all(
          Array.from({ length: 100 }, (_, k) =>
            t.client({ subs: { [channelOf(start + k)]: {} } }, { timeoutMs: 30_000 }),
          ),
        );
        clients.push(...batch);
      }
      const channels = Array.from({ length: CHANNELS }, (_, i) => `room:c${i}`);
      for (let n = 1; n <= PUBLICATIONS; n++) {
        const { status, body } = await t.api('broadcast', { channels, data: n });
        assert.equal(status, 200);
        assert.equal(body.results.length, CHANNELS);
      }
      await Promise.all(clients.map((c, i) => c.expectPublication(channelOf(i), PUBLICATIONS)));
      await new Promise((r) => setTimeout(r, 100)); // anything extra (a duplicate) would arrive now
      let deliveries = 0;
      clients.forEach((c, i) => {
        const pubs = c.publications(channelOf(i));
        deliveries += pubs.length;
        assert.deepEqual(
          pubs.map((p) => p.data),
          Array.from({ length: PUBLICATIONS }, (_, k) => k + 1),
          `client ${i}`,
        );
        assert.deepEqual(
          pubs.map((p) => p.offset),
          Array.from({ length: PUBLICATIONS }, (_, k) => k + 1),
        );
        assert.equal(c.pushes.length, PUBLICATIONS, 'nothing else was pushed');
      });
      console.log(`${clients.length} connections, ${deliveries} deliveries, 0 lost, 0 duplicated, all in order`);
      const { body } = await t.api('channels');
      assert.equal(Object.keys(body.channels).length, CHANNELS);
      assert.ok(Object.values(body.channels).every((c) => (c as { subscribers: number }).subscribers === PER_CHANNEL));
    },
  );
});
