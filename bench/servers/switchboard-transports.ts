// The real-time server for the per-transport bench (bench/transport-cost.ts): plain HTTP/1.1 for
// WebSocket, SSE, HTTP streaming and long-polling, and HTTPS with HTTP/2 (RFC 8441) for WebSocket
// over HTTP/2, both served by one node. Prints "READY <http port>,<https port> <cert file>".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '@switchboard/server';
import { API_KEY } from '../lib/realtime-bench.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-tls-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);
const server = createServer({
  allowAnonymous: true,
  apiKey: API_KEY,
  namespaces: { bench: {} },
  acceptRate: false,
  maxSendBufferBytes: 64 * 1024 * 1024,
});
await server.start();
const handler = (req: Parameters<typeof server.handleRequest>[0], res: Parameters<typeof server.handleRequest>[1]) => {
  if (!server.handleRequest(req, res)) res.writeHead(404).end();
};
const http = createHttpServer(handler);
server.attach(http);
const https = createSecureServer(
  {
    cert: readFileSync(join(dir, 'cert.pem')),
    key: readFileSync(join(dir, 'key.pem')),
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
  },
  handler as never,
);
server.attachHttp2(https);
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
console.log(
  `READY ${(http.address() as { port: number }).port}` +
    `,${(https.address() as { port: number }).port} ${join(dir, 'cert.pem')}`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
