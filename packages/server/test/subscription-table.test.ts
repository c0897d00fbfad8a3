// The session's subscription table behaves as a Map of channel → subscription, in its array form
// (up to 8) and after it turns into a Map (fast-check against a Map model).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { Subscription } from '../src/sessions/subscription.js';
import { SubscriptionTable } from '../src/sessions/subscription-table.js';
import type { ResolvedChannel } from '../src/channels/namespaces.js';

const subscription = (channel: string) => new Subscription({ channel } as ResolvedChannel);

it('SubscriptionTable agrees with a Map through adds and deletes, small and large', () => {
  const op = fc.record({ add: fc.boolean(), channel: fc.integer({ min: 0, max: 20 }).map((i) => `room:c${i}`) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const table = new SubscriptionTable();
      const model = new Map<string, Subscription>();
      for (const { add, channel } of ops) {
        if (add && !model.has(channel)) {
          const s = subscription(channel);
          table.add(s);
          model.set(channel, s);
        } else if (!add) {
          assert.equal(table.delete(channel), model.delete(channel));
        }
        assert.equal(table.size, model.size);
        for (let i = 0; i <= 20; i++) assert.equal(table.get(`room:c${i}`), model.get(`room:c${i}`));
        assert.deepEqual(table.channels().sort(), [...model.keys()].sort());
      }
    }),
  );
});
