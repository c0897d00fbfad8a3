/** @switchboard/testing: run a real server in your tests and talk to it at the protocol level. */
export { startTestServer, TEST_API_KEY, type TestServer } from './test-server.js';
export { TestClient, TestReplyError, type TestClientOptions } from './test-client.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startRedis, type RedisProcess } from './redis-process.js';
export { startNats, startNatsCluster, metaLeader, type NatsProcess, type NatsCluster } from './nats-process.js';
