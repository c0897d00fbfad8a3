// Fuzzing the sticky-free transports' upstream: forged, replayed, out-of-order and malformed
// POSTs and polls against two nodes. Invariants: only documented statuses and body codes, the
// batches of a session apply in seq order exactly once whatever arrives, nodes stay healthy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryCluster, memoryEngine } from '@switchboard/engine-memory';
import { SwitchboardServer } from '@switchboard/server';
import { PollOutbox } from '../packages/server/src/transports/http/poll-outbox.js';
import { UpstreamOrder } from '../packages/server/src/transports/http/upstream-order.js';
import { NdjsonReader, postJson } from './helpers/http-transport-peers.js';

/** docs/error-codes.md, "HTTP transports": status → the body codes it may carry. */
const DOCUMENTED: Record<number, number[]> = {
  400: [107],
  404: [120, 121],
  405: [107],
  409: [124],
  410: [122],
  413: [106],
  502: [115],
  503: [115],
  504: [123],
};

describe('UpstreamOrder (property)', () => {
  it('applies seqs 1..n in order, each once, under any arrival order with retries', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.integer({ min: 1, max: n }), { maxLength: 80 }),
              fc.array(fc.double({ noNaN: true }), { minLength: n + 80, maxLength: n + 80 }),
            ),
          ),
        ([n, retries, keys]) => {
          const applied: number[] = [];
          const order = new UpstreamOrder<number>((b) => applied.push(b), 64);
          // Every seq once plus random retries, in a random order (sorted by random keys).
          const arrivals = [...Array.from({ length: n }, (_, i) => i + 1), ...retries]
            .map((s, i) => [keys[i], s] as const)
            .sort((x, y) => x[0] - y[0]);
          for (const [, s] of arrivals) order.offer(s, s);
          assert.deepEqual(
            applied,
            Array.from({ length: n }, (_, i) => i + 1),
          );
        },
      ),
    );
  });

  it('holds at most `window` batches, refusing the rest as too far', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 1_000_000 }), { maxLength: 200 }), (seqs) => {
        const order = new UpstreamOrder<number>(() => {}, 16);
        for (const s of seqs) {
          const outcome = order.offer(s, s);
          assert.ok(outcome === 'queued' || outcome === 'duplicate' ? s < 17 : outcome === 'too-far');
        }
      }),
    );
  });
});

describe('PollOutbox (property)', () => {
  it('a reader that retries with stale cursors reads every frame once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('push'), fc.constant('poll'), fc.constant('lost-poll')), { maxLength: 200 }),
        (ops) => {
          const box = new PollOutbox();
          let sent = 0;
          let cursor = 0;
          const read: number[] = [];
          for (const op of ops) {
            if (op === 'push') box.push(String(++sent));
            else {
              const frames = box.take(cursor)!;
              if (op === 'lost-poll') continue;
              for (const f of frames) {
                assert.equal(f.seq, cursor + 1);
                cursor = f.seq;
                read.push(Number(f.data));
              }
            }
          }
          for (const f of box.take(cursor)!) read.push(Number(f.data));
          assert.deepEqual(
            read,
            Array.from({ length: sent }, (_, i) => i + 1),
          );
        },
      ),
    );
  });
});

describe('upstream endpoints under fuzzing', () => {
  const cluster = new MemoryCluster();
  const nodes: SwitchboardServer[] = [];
  const bases: string[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      const s = new SwitchboardServer({
        nodeId: `fz-${i}`,
        allowAnonymous: true,
        engine: memoryEngine({ cluster }),
        forwardTimeoutMs: 500,
        maxMessageSize: 4096,
      });
      bases.push(`http://127.0.0.1:${(await s.listen(0)).port}`);
      nodes.push(s);
    }
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it(
    'answers forged, replayed, ' + 'out-of-order and malformed POSTs and polls with documented 2xx/4xx/5xx only',
    async () => {
      const reader = await NdjsonReader.open(`${bases[0]}/connection/stream`, {
        method: 'POST',
        body: JSON.stringify({ id: 1, method: 'connect', params: {} }),
      });
      const reply = await reader.until(
        (m) => m.find((x) => x.id === 1) as { result: { session: string; node: string } } | undefined,
      );
      const { session, node } = reply.result;
      const poll = await postJson(`${bases[1]}/connection/poll/open`, { id: 1, method: 'connect', params: {} });
      const sessionArb = fc.oneof(
        fc.constant(session),
        fc.constant(poll.body.session as string),
        fc.constant(session.replace(/\..*/, '.forged')),
        fc.string({ maxLength: 40 }),
      );
      const nodeArb = fc.oneof(
        fc.constant(node),
        fc.constant('fz-1'),
        fc.constant('gone-node'),
        fc.string({ maxLength: 12 }),
      );
      const commandArb = fc.oneof(
        fc.record({ id: fc.integer({ min: 2, max: 1e6 }), method: fc.constant('ping'), params: fc.constant({}) }),
        fc.record({ id: fc.integer(), method: fc.string({ maxLength: 10 }), params: fc.anything({ maxDepth: 2 }) }),
        fc.string({ maxLength: 50 }),
        fc.anything({ maxDepth: 2 }),
      );
      const bodyArb = fc.oneof(
        fc.record(
          {
            node: nodeArb,
            session: sessionArb,
            seq: fc.oneof(fc.integer({ min: -2, max: 80 }), fc.double(), fc.string()),
            data: commandArb,
          },
          { requiredKeys: [] },
        ),
        fc.record(
          {
            node: nodeArb,
            session: sessionArb,
            cursor: fc.oneof(fc.integer({ min: -1, max: 30 }), fc.string()),
            waitMs: fc.constantFrom(0, 10, -5, 'x'),
          },
          { requiredKeys: [] },
        ),
        fc.string({ maxLength: 100 }),
        fc.constant('x'.repeat(5000)),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...bases),
          fc.constantFrom('/connection/emulation', '/connection/poll'),
          bodyArb,
          async (base, path, body) => {
            const r = await postJson(`${base}${path}`, body);
            if (r.status === 200) return;
            assert.ok(DOCUMENTED[r.status], `undocumented status ${r.status}: ${JSON.stringify(r.body)}`);
            assert.ok(
              DOCUMENTED[r.status].includes(r.body?.error?.code),
              `status ${r.status} with code ${JSON.stringify(r.body)}`,
            );
          },
        ),
        { numRuns: 300 },
      );
      for (const base of bases) assert.equal((await fetch(`${base}/health`)).status, 200);
      reader.close();
    },
  );
});
