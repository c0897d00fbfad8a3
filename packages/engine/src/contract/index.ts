/**
 * @switchboard/engine/contract: the suites every engine runs (memory now; Redis and NATS next),
 * so that all engines keep the same delivery rules. They use node:test.
 */
export { describeBrokerContract, type BrokerFixture } from './broker-contract.js';
export { describePresenceContract, type PresenceFixture } from './presence-contract.js';
export { describeControlBusContract, type ControlBusFixture } from './control-bus-contract.js';
export { describeEventLogContract, type EventLogFixture } from './event-log-contract.js';
