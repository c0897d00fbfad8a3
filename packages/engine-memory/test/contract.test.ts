// The memory engine runs the same exported contract suites that Redis and NATS will run.
import {
  describeBrokerContract,
  describeControlBusContract,
  describeEventLogContract,
  describePresenceContract,
} from '@switchboard/engine/contract';
import {
  MemoryBroker,
  MemoryBrokerHub,
  MemoryControlBus,
  MemoryControlHub,
  MemoryEventHub,
  MemoryEventLog,
  MemoryOccupancyHub,
  MemoryOccupancyStore,
  MemoryPresenceHub,
  MemoryPresenceStore,
} from '../src/index.js';

describeBrokerContract('memory', async () => {
  const hub = new MemoryBrokerHub();
  return { node: async (handler) => new MemoryBroker(hub, handler), close: async () => {} };
});

describePresenceContract('memory', async () => {
  const hub = new MemoryPresenceHub();
  return { store: async () => new MemoryPresenceStore(hub), close: async () => {} };
});

describeControlBusContract('memory', async () => {
  const hub = new MemoryControlHub();
  return { node: async (nodeId, handler) => new MemoryControlBus(hub, nodeId, handler), close: async () => {} };
});

describeEventLogContract('memory', async () => {
  const hubs = new Map<string, MemoryOccupancyHub>();
  return {
    node: async (options) => {
      const key = JSON.stringify(options);
      const hub = hubs.get(key) ?? hubs.set(key, new MemoryOccupancyHub(new MemoryEventHub(options))).get(key)!;
      return { events: new MemoryEventLog(hub.events), occupancy: new MemoryOccupancyStore(hub) };
    },
    close: async () => {},
  };
});
