import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackendRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
}

/** What the backend does with one request: an answer object (sent as JSON 200), or its own response. */
export type BackendHandler = (request: BackendRequest, res: ServerResponse) => unknown | Promise<unknown>;

/** A real backend HTTP server on a free loopback port, recording every request and the most it served at once. */
export interface Backend {
  url: string;
  requests: BackendRequest[];
  inFlight: number;
  peakInFlight: number;
  handle: BackendHandler;
  close(): Promise<void>;
}

export async function startBackend(handle: BackendHandler): Promise<Backend> {
  const backend: Backend = { url: '', requests: [], inFlight: 0, peakInFlight: 0, handle, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    backend.inFlight++;
    backend.peakInFlight = Math.max(backend.peakInFlight, backend.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = {
        path: req.url ?? '/',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      };
      backend.requests.push(request);
      const answer = await backend.handle(request, res);
      if (!res.headersSent && answer !== undefined)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } finally {
      backend.inFlight--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  backend.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}
