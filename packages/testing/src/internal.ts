/**
 * @switchboard/testing/internal: tools for this repository's own tests (brokers to
 * kill and freeze, a network to cut). Not part of the public API: they may change
 * in any release.
 */
export { freePort, freePorts } from './loopback-service.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startRedis, type RedisProcess } from './redis-process.js';
export { startNats, startNatsCluster, metaLeader, type NatsProcess, type NatsCluster } from './nats-process.js';
