import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PresenceStore } from '../presence-store.js';
import { describeWithFixture, sleep } from './suite.js';

export interface PresenceFixture {
  /** A store as one node sees it; several share the backend. */
  store(): Promise<PresenceStore>;
  close(): Promise<void>;
}

let unique = 0;
const channel = () => `contract:presence:${process.pid}:${Date.now()}:${unique++}`;

/** The PresenceStore contract (see presence-store.ts). */
export function describePresenceContract(name: string, createFixture: () => Promise<PresenceFixture>): void {
  describeWithFixture(`PresenceStore contract: ${name}`, 30_000, createFixture, (fixture) => {
    it('aggregates entries across nodes; stats count clients and unique users', async () => {
      const a = await fixture().store();
      const b = await fixture().store();
      const ch = channel();
      await a.add(ch, { clientId: 'c1', userId: 'alice', connInfo: { device: 'phone' } }, 60_000);
      await a.add(ch, { clientId: 'c2', userId: 'alice' }, 60_000);
      await b.add(ch, { clientId: 'c3', userId: 'bob' }, 60_000);
      const seen = (await b.get(ch)).sort((x, y) => x.clientId.localeCompare(y.clientId));
      assert.deepEqual(seen, [
        { clientId: 'c1', userId: 'alice', connInfo: { device: 'phone' } },
        { clientId: 'c2', userId: 'alice' },
        { clientId: 'c3', userId: 'bob' },
      ]);
      assert.deepEqual(await a.stats(ch), { clients: 3, users: 2 });
      await b.remove(ch, 'c1');
      assert.deepEqual(await a.stats(ch), { clients: 2, users: 2 });
      await Promise.all([a.close(), b.close()]);
    });

    it('drops entries whose TTL passed without a refresh (a dead node’s clients)', async () => {
      const store = await fixture().store();
      const ch = channel();
      await store.add(ch, { clientId: 'gone', userId: 'u1' }, 100);
      await store.add(ch, { clientId: 'kept', userId: 'u2' }, 100);
      await sleep(60);
      await store.add(ch, { clientId: 'kept', userId: 'u2' }, 100); // refresh
      await sleep(70);
      assert.deepEqual(
        (await store.get(ch)).map((e) => e.clientId),
        ['kept'],
      );
      await store.close();
    });
  });
}
