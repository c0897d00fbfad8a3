import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ControlBus, ControlHandler, ControlMessage } from '../control-bus.js';
import { ControlRequestError, ControlRequestErrorCode } from '../engine-errors.js';
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
      for (const n of ['a', 'b'])
        assert.deepEqual(got.get(prefix + n), [{ type: 'disconnect', from: prefix + 'a', payload: { userId: 'u1' } }]);
      // Two senders, so no order between the two (a NATS cluster routes each sender's own way): sorted by sender.
      const atC = [...got.get(prefix + 'c')!].sort((x, y) => x.from.localeCompare(y.from));
      assert.deepEqual(atC, [
        { type: 'disconnect', from: prefix + 'a', payload: { userId: 'u1' } },
        { type: 'info', from: prefix + 'b', payload: { want: 'stats' } },
      ]);
      await Promise.all(nodes.map((n) => n.close()));
    });

    it(
      'request gets the target’s answer; a handler error, a silent handler and a missing node each reject with ' +
        'their code',
      async () => {
        const prefix = `r${process.pid}-${Date.now()}-`;
        const seen: ControlMessage[] = [];
        const answering = await fixture().node(prefix + 'answering', {
          onControl() {},
          async onRequest(message) {
            seen.push(message);
            const { op } = message.payload as { op: string };
            if (op === 'fail') throw new Error('no such session');
            if (op === 'hang') return new Promise(() => {});
            return { echoed: message.payload, by: prefix + 'answering' };
          },
        });
        const mute = await fixture().node(prefix + 'mute', { onControl() {} });
        const asking = await fixture().node(prefix + 'asking', { onControl() {} });
        const code = (promise: Promise<unknown>) =>
          promise.then(
            () => 'resolved',
            (error: unknown) => (error instanceof ControlRequestError ? error.code : String(error)),
          );

        assert.deepEqual(await asking.request(prefix + 'answering', 'emulate', { op: 'ok', n: 1 }), {
          echoed: { op: 'ok', n: 1 },
          by: prefix + 'answering',
        });
        assert.deepEqual(seen, [{ type: 'emulate', from: prefix + 'asking', payload: { op: 'ok', n: 1 } }]);
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => asking.request(prefix + 'answering', 'emulate', { op: 'ok', n: i })),
        );
        assert.deepEqual(
          answers.map((a) => (a as { echoed: { n: number } }).echoed.n),
          Array.from({ length: 20 }, (_, i) => i),
          'each caller gets its own answer',
        );

        const failed = asking.request(prefix + 'answering', 'emulate', { op: 'fail' });
        await assert.rejects(
          failed,
          (error: unknown) =>
            error instanceof ControlRequestError &&
            error.code === ControlRequestErrorCode.HandlerFailed &&
            /no such session/.test(error.message),
        );
        assert.equal(await code(asking.request(prefix + 'mute', 'emulate', {})), ControlRequestErrorCode.HandlerFailed);
        const started = Date.now();
        assert.equal(
          await code(asking.request(prefix + 'answering', 'emulate', { op: 'hang' }, { timeoutMs: 200 })),
          ControlRequestErrorCode.Timeout,
        );
        assert.ok(Date.now() - started >= 190, 'the timeout is honoured');
        assert.ok(Date.now() - started < 3000, 'and not much exceeded');
        assert.equal(
          await code(asking.request(prefix + 'nobody', 'emulate', {}, { timeoutMs: 1000 })),
          ControlRequestErrorCode.NoSuchNode,
        );
        await mute.close();
        assert.equal(
          await code(asking.request(prefix + 'mute', 'emulate', {}, { timeoutMs: 1000 })),
          ControlRequestErrorCode.NoSuchNode,
          'a closed node is gone',
        );
        await Promise.all([answering.close(), asking.close()]);
      },
    );
  });
}
