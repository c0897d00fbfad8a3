// The operator's dashboard in `serve`: GET /admin (static page and script), and POST /admin/api/<method>,
// an allow-listed pass-through to the HTTP API. The page holds no secret: every call carries the
// API key (`Authorization: apikey KEY`), or, when an admin secret is set, that secret
// (`Authorization: admin SECRET`) and only it; the route then calls the API with the API key.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the page may call: read the cluster, and the four actions. */
const METHODS = new Set(['stats', 'info', 'channels', 'publish', 'disconnect', 'presence', 'history', 'drain']);

export interface AdminRouteOptions {
  apiKey: string;
  /** When set, the dashboard takes this secret instead of the API key. */
  adminSecret?: string;
  /** The server's own handler for /api/*. */
  handleApi: (req: IncomingMessage, res: ServerResponse) => boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function assets(): Record<string, { type: string; body: Buffer }> {
  const file = (name: string) => readFileSync(new URL(`../../admin/${name}`, import.meta.url));
  return {
    '/admin': { type: 'text/html; charset=utf-8', body: file('index.html') },
    '/admin/': { type: 'text/html; charset=utf-8', body: file('index.html') },
    '/admin/admin.js': { type: 'text/javascript; charset=utf-8', body: file('admin.js') },
  };
}

/** Returns a request handler that answers /admin* and returns false for anything else. */
export function adminRoute(o: AdminRouteOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const files = assets();
  const secret = o.adminSecret === undefined ? undefined : sha256(`admin ${o.adminSecret}`);
  const refuse = (res: ServerResponse, status: number, message: string) => {
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: status === 401 ? 101 : 107, message } }));
    return true;
  };
  return (req, res) => {
    const path = req.url?.split('?')[0] ?? '';
    if (!path.startsWith('/admin')) return false;
    const file = req.method === 'GET' ? files[path] : undefined;
    if (file) {
      res
        .writeHead(200, {
          'content-type': file.type,
          'content-length': file.body.length,
          'cache-control': 'no-cache',
          'x-frame-options': 'DENY',
          'content-security-policy':
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; " +
            "base-uri 'none'; form-action 'none'",
        })
        .end(file.body);
      return true;
    }
    const method = /^\/admin\/api\/([a-z_]+)$/.exec(path)?.[1];
    if (!method || !METHODS.has(method)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return true;
    }
    if (secret) {
      const given = sha256(req.headers.authorization ?? '');
      if (!timingSafeEqual(given, secret))
        return refuse(res, 401, 'missing or wrong admin secret (Authorization: admin SECRET)');
      req.headers.authorization = `apikey ${o.apiKey}`;
    }
    // Without an admin secret the API itself checks the caller's `apikey` header.
    req.url = `/api/${method}`;
    return o.handleApi(req, res);
  };
}
