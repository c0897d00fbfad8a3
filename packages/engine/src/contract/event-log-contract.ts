import assert from 'node:assert/strict';
import { it } from 'node:test';
import { partitionOf, type EventLog, type EventLogOptions, type LogEvent } from '../event-log.js';
import type { OccupancyStore } from '../occupancy-store.js';
import { describeWithFixture, sleep } from './suite.js';

/** The lease of the takeover test. */
const LEASE_MS = 1500;

export interface EventLogFixture {
  /**
   * One node's view of a shared backend: every call with the same `options` in one
   * fixture shares one log (another node); different options may be another log.
   */
  node(options: EventLogOptions): Promise<{ events: EventLog; occupancy: OccupancyStore }>;
  close(): Promise<void>;
}

let unique = 0;
const name = (what: string) => `${what}-${process.pid}-${Date.now()}-${unique++}`;
const event = (key: string, n: number, extra: object = {}): LogEvent => ({ id: `${key}#${n}`, key, n, ...extra });
/** A key that falls into partition `p` of `partitions`. */
function keyIn(p: number, partitions: number, tag: string): string {
  for (let i = 0; ; i++) if (partitionOf(`${tag}:${i}`, partitions) === p) return `${tag}:${i}`;
}

/** The EventLog and OccupancyStore contracts (see event-log.ts, occupancy-store.ts). */
export function describeEventLogContract(title: string, createFixture: () => Promise<EventLogFixture>): void {
  describeWithFixture(`EventLog contract: ${title}`, 60_000, createFixture, (fixture) => {
    it('keeps order within a partition; another node reads what one appended', async () => {
      const options = { partitions: 4, backlogCap: 1000 };
      const a = await fixture().node(options);
      const b = await fixture().node(options);
      const key = name('ch');
      const p = partitionOf(key, 4);
      await a.events.append([event(key, 1), event(key, 2)]);
      await Promise.all([a.events.append([event(key, 3)]), a.events.append([event(key, 4)])]);
      const read = await b.events.read(p, undefined, 100);
      assert.deepEqual(
        read.filter((e) => e.event.key === key).map((e) => e.event.n),
        [1, 2, 3, 4],
      );
      const after = await b.events.read(p, read[1].seq, 100);
      assert.deepEqual(
        after.map((e) => e.event.id),
        read.slice(2).map((e) => e.event.id),
      );
      assert.deepEqual(await b.events.read(p, read.at(-1)!.seq, 100), []);
      assert.deepEqual(read[0].event, event(key, 1));
    });

    it('a lease has one holder; another takes it once it expires, and resumes from the cursor', async () => {
      const options = { partitions: 2, backlogCap: 1000 };
      const a = await fixture().node(options);
      const b = await fixture().node(options);
      const consumer = name('hook');
      const key = keyIn(1, 2, name('k'));
      await a.events.append([1, 2, 3].map((n) => event(key, n)));
      // Leases long enough that the calls between them fit inside one on a loaded machine or a 3-server cluster.
      assert.equal(await a.events.lease(consumer, 1, 'node-a', LEASE_MS), true);
      assert.equal(await b.events.lease(consumer, 1, 'node-b', LEASE_MS), false);
      assert.equal(await a.events.lease(consumer, 1, 'node-a', LEASE_MS), true, 'renewed by its holder');
      assert.equal(await b.events.lease(consumer, 0, 'node-b', LEASE_MS), true, 'partitions lease separately');
      assert.equal(await a.events.cursor(consumer, 1), undefined);
      const [first] = await a.events.read(1, undefined, 1);
      assert.equal(await a.events.commit(consumer, 1, 'node-a', first.seq), true);
      assert.equal(await b.events.commit(consumer, 1, 'node-b', first.seq), false, 'only the holder commits');
      await sleep(LEASE_MS + 250);
      assert.equal(await b.events.lease(consumer, 1, 'node-b', 5000), true, 'taken over after expiry');
      assert.equal(await a.events.commit(consumer, 1, 'node-a', first.seq), false, 'the old holder is fenced off');
      const cursor = await b.events.cursor(consumer, 1);
      assert.equal(cursor, first.seq);
      assert.deepEqual(
        (await b.events.read(1, cursor, 10)).map((e) => e.event.n),
        [2, 3],
      );
      await b.events.release(consumer, 1, 'node-b');
      assert.equal(await a.events.lease(consumer, 1, 'node-a', 300), true, 'released at once');
    });

    it('past the backlog cap, the oldest events a consumer has not committed become its dead letters', async () => {
      const options = { partitions: 1, backlogCap: 5, deadLetterCap: 3 };
      const a = await fixture().node(options);
      const consumer = name('hook');
      const key = name('k');
      assert.equal(await a.events.lease(consumer, 0, 'n', 10_000), true);
      await a.events.append([1, 2].map((n) => event(key, n)));
      const [one] = await a.events.read(0, undefined, 1);
      assert.equal(await a.events.commit(consumer, 0, 'n', one.seq), true);
      await a.events.append([3, 4, 5, 6].map((n) => event(key, n)));
      await a.events.append([7, 8].map((n) => event(key, n)));
      const kept = await a.events.read(0, undefined, 100);
      assert.deepEqual(
        kept.map((e) => e.event.n),
        [4, 5, 6, 7, 8],
      );
      // 1 was committed; 2 and 3 were trimmed undelivered.
      const dead = await a.events.deadLetters(consumer, 10);
      assert.deepEqual(
        dead.map((d) => [d.event.n, d.reason]),
        [
          [2, 'backlog-cap'],
          [3, 'backlog-cap'],
        ],
      );
      assert.equal(await a.events.deadLetterCount(consumer), 2);
      await a.events.deadLetter(consumer, [
        { seq: kept[0].seq, event: kept[0].event, reason: 'max-age', at: Date.now() },
        { seq: kept[1].seq, event: kept[1].event, reason: 'max-age', at: Date.now() },
      ]);
      assert.deepEqual(
        (await a.events.deadLetters(consumer, 10)).map((d) => d.event.n),
        [3, 4, 5],
        'at most deadLetterCap, oldest discarded',
      );
      await a.events.dropDeadLetters(consumer, 2);
      assert.deepEqual(
        (await a.events.deadLetters(consumer, 10)).map((d) => d.event.n),
        [5],
      );
    });

    it('occupancy: first and last across nodes, the event appended with the transition, once', async () => {
      const options = { partitions: 1, backlogCap: 1000 };
      const a = await fixture().node(options);
      const b = await fixture().node(options);
      const key = name('ch');
      const ev = (type: string) => event(key, 0, { type, id: name(type) });
      const [na, nb] = [name('node-a'), name('node-b')];
      assert.deepEqual(await a.occupancy.enter(key, 'u1', na, ev('added')), { first: true });
      assert.deepEqual(await a.occupancy.enter(key, 'u1', na, ev('added')), { first: false }, 'a second tab');
      assert.deepEqual(await b.occupancy.enter(key, 'u1', nb, ev('added')), { first: false });
      assert.deepEqual(await a.occupancy.exit(key, 'u1', na, ev('removed')), { last: false });
      assert.deepEqual(await a.occupancy.exit(key, 'u1', na, ev('removed')), { last: false });
      assert.deepEqual(await a.occupancy.exit(key, 'u1', na, ev('removed')), { last: false }, 'nothing left to exit');
      assert.deepEqual(await b.occupancy.exit(key, 'u1', nb, ev('removed')), { last: true });
      const types = (await a.events.read(0, undefined, 1000))
        .filter((e) => e.event.key === key)
        .map((e) => e.event.type);
      assert.deepEqual(types, ['added', 'removed']);
    });

    it('a dead node: listed once its mark lapses, its holdings evicted once even by two survivors', async () => {
      const options = { partitions: 1, backlogCap: 1000 };
      const a = await fixture().node(options);
      const b = await fixture().node(options);
      const c = await fixture().node(options);
      const key = name('ch');
      const [dead, live] = [name('dead'), name('live')];
      await a.occupancy.alive(dead, 200);
      await b.occupancy.alive(live, 60_000);
      await a.occupancy.enter(key, '', dead, event(key, 1, { type: 'occupied' }));
      await a.occupancy.enter(key, 'u1', dead);
      await a.occupancy.enter(key, 'u1', dead);
      await a.occupancy.enter(key, 'u2', dead);
      await b.occupancy.enter(key, 'u2', live);
      assert.ok(!(await b.occupancy.deadNodes()).includes(dead));
      await sleep(300);
      assert.ok((await b.occupancy.deadNodes()).includes(dead));
      assert.ok(!(await b.occupancy.deadNodes()).includes(live));
      const held = (await b.occupancy.holdings(dead)).map((h) => `${h.member}:${h.count}`).sort();
      assert.deepEqual(held, [':1', 'u1:2', 'u2:1']);
      const evictAll = (store: OccupancyStore) =>
        Promise.all(
          held
            .map((h) => h.split(':'))
            .map(([member]) =>
              store.evict(key, member, dead, event(key, 2, { type: `gone:${member}`, id: name('gone') })),
            ),
        );
      const [fromB, fromC] = await Promise.all([evictAll(b.occupancy), evictAll(c.occupancy)]);
      const lasts = [...fromB, ...fromC].filter((r) => r.last).length;
      assert.equal(lasts, 2, "'' and u1 were last on the dead node; u2 lives on");
      const types = (await a.events.read(0, undefined, 1000))
        .filter((e) => e.event.key === key)
        .map((e) => e.event.type);
      assert.deepEqual(types.sort(), ['gone:', 'gone:u1', 'occupied']);
      assert.deepEqual(await b.occupancy.holdings(dead), []);
      assert.ok(!(await b.occupancy.deadNodes()).includes(dead), 'a node with nothing left is forgotten');
      assert.deepEqual(await a.occupancy.enter(key, 'u2', dead), { first: false });
    });
  });
}
