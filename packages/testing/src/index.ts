/**
 * @switchboard/testing: run a real server in your tests and talk to it at the protocol level, over a socket or none.
 */
export { startTestServer, TEST_API_KEY, type TestServer } from './test-server.js';
export {
  TestClient,
  TestReplyError,
  type TestClientOptions,
  type TestLink,
  type TestLinkEvents,
} from './test-client.js';
export { ChannelTest, MemoryLink } from './channel-test.js';
