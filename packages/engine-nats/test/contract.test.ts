// The NATS engine runs the same contract suites as memory and Redis, on the
// shared nats-server (127.0.0.1:4222, JetStream on). Each fixture has its own
// prefix, and deletes its streams and buckets when it closes.
import { describeBrokerContract, describeControlBusContract, describePresenceContract } from '@switchboard/engine/contract';
import type { Engine, EngineNode } from '@switchboard/engine';
import { natsBackend } from './nats-backend.js';

const servers = () => [process.env.SWITCHBOARD_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const fixture = <F>(make: (b: Awaited<ReturnType<typeof natsBackend>>) => F) => async () => {
  const b = await natsBackend(servers);
  return { ...make(b), close: () => b.close() };
};

describeBrokerContract('nats', fixture((b) => ({ node: async (broker) => (await b.engine({ broker })).broker })));
describePresenceContract('nats', fixture((b) => ({ store: async () => (await b.engine({})).presence })));
describeControlBusContract('nats', fixture((b) => ({ node: async (nodeId, control) => (await b.engine({ nodeId, control })).control })));
