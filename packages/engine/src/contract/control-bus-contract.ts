import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ControlBus, ControlHandler, ControlMessage } from '../control-bus.js';
import { describeWithFixture, sleep } from './suite.js';

export interface ControlBusFixture {
  /** A node on the shared bus. */
  node(nodeId: string, handler: ControlHandler): Promise<ControlBus>;
  close(): Promise<void>;
}


/** The ControlBus contract (see control-bus.ts). */
export function describeControlBusContract(name: string, createFixture: () => Promise<ControlBusFixture>): void {
  describeWithFixture(`ControlBus contract: ${name}`, 30_000, createFixture, (fixture) => {

    it('broadcast reaches every node once, the sender included; send reaches only its target', async () => {
      const got = new Map<string, ControlMessage[]>();
      const prefix = `n${process.pid}-${Date.now()}-`;
      const nodes = await Promise.all(
        ['a', 'b', 'c'].map((n) => {
          got.set(prefix + n, []);
          return fixture().node(prefix + n, { onControl: (m) => got.get(prefix + n)!.push(m) });
        }),
      );
      await nodes[0].broadcast('disconnect', { userId: 'u1' });
      await nodes[1].send(prefix + 'c', 'info', { want: 'stats' });
      for (let i = 0; i < 200 && [...got.values()].some((l) => l.length === 0); i++) await sleep(10);
      await sleep(50);
      for (const n of ['a', 'b']) assert.deepEqual(got.get(prefix + n), [{ type: 'disconnect', from: prefix + 'a', payload: { userId: 'u1' } }]);
      assert.deepEqual(got.get(prefix + 'c'), [
        { type: 'disconnect', from: prefix + 'a', payload: { userId: 'u1' } },
        { type: 'info', from: prefix + 'b', payload: { want: 'stats' } },
      ]);
      await Promise.all(nodes.map((n) => n.close()));
    });
  });
}
