import { createServer, type Logger, type ServerOptions, type SwitchboardServer } from '@switchboard/server';
import type { ConnectParams } from '@switchboard/wire';
import { TestClient, type TestClientOptions } from './test-client.js';

export const TEST_API_KEY = 'test-api-key-0123456789';

/** A running server on 127.0.0.1 and a free port, with helpers to reach it. */
export interface TestServer {
  server: SwitchboardServer;
  /** The WebSocket URL (`ws://127.0.0.1:PORT/connection/websocket`). */
  url: string;
  /** The HTTP base URL. */
  httpUrl: string;
  /** Calls the HTTP API with the test key; resolves with the status and the parsed body. */
  api(method: string, body?: unknown, apiKey?: string | null): Promise<{ status: number; body: any }>;
  /** Opens a client and sends `connect`. */
  client(params?: ConnectParams, options?: TestClientOptions): Promise<TestClient>;
  close(): Promise<void>;
}

/**
 * Starts a server (memory engine unless given one) on port 0, logging to `log` if given. Anonymous clients and an API
 * key are on by default.
 */
export async function startTestServer(options: ServerOptions = {}, log?: Logger): Promise<TestServer> {
  const server = createServer({ allowAnonymous: true, apiKey: TEST_API_KEY, ...options }, log);
  const { port } = await server.listen(0, '127.0.0.1');
  const httpUrl = `http://127.0.0.1:${port}`;
  const url = `ws://127.0.0.1:${port}${server.options.websocketPath}`;
  const clients = new Set<TestClient>();
  return {
    server,
    url,
    httpUrl,
    async api(method, body = {}, apiKey = TEST_API_KEY) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (apiKey !== null) headers.authorization = `apikey ${apiKey}`;
      const res = await fetch(`${httpUrl}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    },
    async client(params = {}, clientOptions = {}) {
      const client = await TestClient.open(url, clientOptions);
      clients.add(client);
      await client.connect(params);
      return client;
    },
    async close() {
      await server.close();
      await Promise.all([...clients].map((c) => c.closed));
    },
  };
}
