// Expired state must not stay in memory for channels nobody touches again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker, MemoryBrokerHub, MemoryPresenceHub, MemoryPresenceStore } from '../src/index.js';

describe('memory hubs: sweep', () => {
  it('drops expired streams and idempotency keys, keeps live ones', async () => {
    const hub = new MemoryBrokerHub();
    const broker = new MemoryBroker(hub, { onPublication() {}, onDeliveryUncertain() {} });
    await broker.publish('a:short', 1, {
      history: { size: 10, ttlMs: 1_000 },
      idempotencyKey: 'k',
      idempotencyWindowMs: 1_000,
    });
    await broker.publish('a:long', 1, { history: { size: 10, ttlMs: 60_000 } });
    hub.sweep(Date.now() + 5_000);
    assert.deepEqual([...hub.streams.keys()], ['a:long']);
    assert.equal(hub.idempotency.size, 0);
  });

  it('drops expired presence entries and empty channels', async () => {
    const hub = new MemoryPresenceHub();
    const store = new MemoryPresenceStore(hub);
    await store.add('p:1', { clientId: 'c1', userId: 'u1' }, 1_000);
    await store.add('p:2', { clientId: 'c2', userId: 'u2' }, 60_000);
    hub.sweep(Date.now() + 5_000);
    assert.deepEqual([...hub.channels.keys()], ['p:2']);
  });
});
