// Hub: local fan-out over the memory engine, with no socket. Encode once per
// codec, the continuity rule on the live stream, and position checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, Publication } from '@switchboard/engine';
import { memoryEngine } from '@switchboard/engine-memory';
import { JsonCodec, type Push } from '@switchboard/wire';
import { Hub, type ChannelSubscriber, type SharedPush } from '../src/channels/hub.js';

/** A JSON codec that counts its push encodings. */
class CountingCodec extends JsonCodec {
  encoded = 0;
  override encodePush(push: Push): Uint8Array {
    this.encoded++;
    return super.encodePush(push);
  }
}

/** A subscriber that writes what it gets through its codec, as a session does, and records it. */
class Recorder implements ChannelSubscriber {
  readonly offsets: number[] = [];
  readonly pushes: Uint8Array[] = [];
  gaps = 0;
  constructor(private readonly codec: JsonCodec) {}
  onPublication(_channel: string, publication: Publication, encoded: SharedPush): void {
    this.offsets.push(publication.offset);
    this.pushes.push(encoded.for(this.codec).bytes);
  }
  onChannelPush(_channel: string, encoded: SharedPush): void {
    this.pushes.push(encoded.for(this.codec).bytes);
  }
  onStreamGap(): void {
    this.gaps++;
  }
}

const HISTORY = { size: 100, ttlMs: 60_000 };

describe('Hub (no socket)', () => {
  let hub: Hub;
  let engine: Engine;
  let delivered = 0;
  before(async () => {
    hub = new Hub((n) => (delivered += n));
    engine = await memoryEngine()({ nodeId: 'n1', broker: hub, control: { onControl() {} } });
    hub.bind(engine.broker);
  });
  after(() => engine.close());

  it('encodes a publication once per codec for all subscribers, and writes the same bytes to each', async () => {
    const json = new CountingCodec();
    const other = new CountingCodec();
    const subs = [new Recorder(json), new Recorder(json), new Recorder(json), new Recorder(other)];
    for (const s of subs) await hub.subscribe('c:once', s);
    delivered = 0;
    await engine.broker.publish('c:once', { n: 1 }, { history: HISTORY });
    assert.deepEqual([json.encoded, other.encoded], [1, 1]);
    assert.equal(delivered, 4);
    assert.ok(
      subs[1].pushes[0] === subs[0].pushes[0] && subs[2].pushes[0] === subs[0].pushes[0],
      'one buffer shared by the subscribers of a codec',
    );
    assert.ok(subs[3].pushes[0] !== subs[0].pushes[0], 'each codec has its own encoding');
    for (const s of subs) hub.unsubscribe('c:once', s);
  });

  it('delivers the next offset, drops one already seen, and reports a skipped offset as a gap', async () => {
    const r = new Recorder(new JsonCodec());
    await hub.subscribe('c:seq', r);
    const { position } = await engine.broker.publish('c:seq', 1, { history: HISTORY });
    const pub = (offset: number, epoch = position.epoch): Publication => ({
      channel: 'c:seq',
      offset,
      epoch,
      data: offset,
    });
    hub.onPublication(pub(1)); // a duplicate from the broker
    hub.onPublication(pub(2));
    hub.onPublication(pub(4)); // 3 never arrived
    assert.deepEqual(r.offsets, [1, 2]);
    assert.equal(r.gaps, 1);
    hub.onPublication(pub(5)); // the node moved on from 4
    assert.deepEqual(r.offsets, [1, 2, 5]);
    hub.onPublication(pub(1, 'new-epoch'));
    assert.equal(r.gaps, 2, 'a new epoch is a gap even at offset 1');
    hub.unsubscribe('c:seq', r);
  });

  it('delivers publications without history (offset 0) as they come', async () => {
    const r = new Recorder(new JsonCodec());
    await hub.subscribe('c:nohist', r);
    await engine.broker.publish('c:nohist', 'a', {});
    await engine.broker.publish('c:nohist', 'b', {});
    assert.deepEqual(r.offsets, [0, 0]);
    hub.unsubscribe('c:nohist', r);
  });

  it('keeps one broker subscription per channel while any local subscriber remains', async () => {
    const [a, b] = [new Recorder(new JsonCodec()), new Recorder(new JsonCodec())];
    await hub.subscribe('c:ref', a);
    await hub.subscribe('c:ref', b);
    assert.equal(hub.subscriberCount('c:ref'), 2);
    hub.unsubscribe('c:ref', a);
    await engine.broker.publish('c:ref', 1, { history: HISTORY });
    assert.deepEqual([a.offsets, b.offsets], [[], [1]]);
    hub.unsubscribe('c:ref', b);
    assert.equal(hub.channelCounts().has('c:ref'), false);
    await engine.broker.publish('c:ref', 2, { history: HISTORY });
    assert.deepEqual(b.offsets, [1], 'nothing after the last subscriber left');
  });

  it('position checks: a lost tail is a gap after the grace period; a replaced stream at once', async () => {
    const r = new Recorder(new JsonCodec());
    // Three publications the node never received, then a subscriber whose history read said offset 1.
    for (let i = 0; i < 3; i++) await engine.broker.publish('c:tail', i, { history: HISTORY });
    await hub.subscribe('c:tail', r);
    const top = (await engine.broker.history('c:tail', { limit: 0 })).position;
    hub.observe('c:tail', { offset: 1, epoch: top.epoch });
    await hub.checkPositions();
    assert.equal(r.gaps, 0, 'not before the grace period: the publications may be in flight');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(r.gaps, 1);

    await engine.broker.removeHistory('c:tail');
    await engine.broker.history('c:tail', { limit: 0, ensure: HISTORY });
    await hub.checkPositions();
    assert.equal(r.gaps, 2, 'another epoch is a gap at once');
    hub.unsubscribe('c:tail', r);
  });

  it("pushes joins and leaves to the channel's subscribers only", async () => {
    const [a, other] = [new Recorder(new JsonCodec()), new Recorder(new JsonCodec())];
    await hub.subscribe('c:room', a);
    await hub.subscribe('c:else', other);
    hub.pushToChannel('c:room', { push: 'join', channel: 'c:room', info: { clientId: 'x', userId: 'u' } });
    assert.deepEqual([a.pushes.length, other.pushes.length], [1, 0]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(a.pushes[0])), {
      push: 'join',
      channel: 'c:room',
      info: { clientId: 'x', userId: 'u' },
    });
    hub.unsubscribe('c:room', a);
    hub.unsubscribe('c:else', other);
  });
});
