// Security claims of docs/security.md that no other test proves, on real servers over real sockets: the Origin
// check (CSRF) on every cookie-authenticated HTTP transport, not only WebSocket; the HTTP transports' session
// secrets (128 bits from the CSPRNG; a wrong secret answered as an unknown session); JWT keys never taken from a
// token's own header (jku, x5u, jwk), no clock skew allowed; and backend proxies getting only the transport's real
// headers, never values a client puts in its payload.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createServer, type SwitchboardServer } from '@switchboard/server';
import { startTestServer, type TestServer } from '@switchboard/testing';
import { startBackend, type Backend } from './helpers/backend.js';
import { AUDIENCE, connectOutcome, hs, ISSUER, keyPair, SECRET, startJwksServer } from './helpers/jwt.js';

/** One HTTP exchange's status and body start; a streaming response is cut after its head. */
function exchange(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
      },
      (res) => {
        let text = '';
        const done = () => {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, body: text });
        };
        const streaming = /event-stream|ndjson/.test(String(res.headers['content-type']));
        if (streaming) return done();
        res.on('data', (c) => (text += c));
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('security of the entry points', () => {
  describe('Origin on the cookie-authenticated HTTP transports', () => {
    let server: SwitchboardServer;
    let port: number;
    before(async () => {
      server = createServer({
        jwt: { secret: SECRET, issuer: ISSUER, audience: AUDIENCE, cookie: 'sb_token' },
        namespaces: { news: {} },
      });
      port = (await server.listen(0)).port;
    });
    after(() => server.close());

    it('a foreign Origin: 403 on SSE, HTTP streaming and long-poll; the Host’s origin and none pass', async () => {
      const cookie = `sb_token=${await hs({ sub: 'ann' })}`;
      const connect = JSON.stringify({ id: 1, method: 'connect', params: {} });
      const endpoints: [string, string, string | undefined][] = [
        ['GET', '/connection/sse?channel=news:a', undefined],
        ['GET', `/connection/stream?format=sse&connect=${encodeURIComponent(connect)}`, undefined],
        ['POST', '/connection/stream', connect],
        ['POST', '/connection/poll/open', connect],
      ];
      for (const [method, path, body] of endpoints) {
        const foreign = await exchange(port, method, path, { cookie, origin: 'https://evil.example' }, body);
        assert.equal(foreign.status, 403, `${method} ${path}, foreign Origin`);
        assert.match(foreign.body, /origin not allowed/);
        for (const origin of [`http://127.0.0.1:${port}`, undefined]) {
          const allowed = await exchange(port, method, path, { cookie, ...(origin && { origin }) }, body);
          assert.equal(allowed.status, 200, `${method} ${path}, Origin ${origin ?? 'none'}: ${allowed.body}`);
        }
      }
    });
  });

  describe('HTTP transport session secrets', () => {
    let server: SwitchboardServer;
    let port: number;
    before(async () => {
      server = createServer({ allowAnonymous: true, namespaces: { news: {} } });
      port = (await server.listen(0)).port;
    });
    after(() => server.close());

    it('128 CSPRNG bits each, all distinct; a wrong secret is answered as an unknown id', async () => {
      const connect = JSON.stringify({ id: 1, method: 'connect', params: {} });
      const tokens: string[] = [];
      let node = '';
      for (let i = 0; i < 200; i++) {
        const opened = JSON.parse((await exchange(port, 'POST', '/connection/poll/open', {}, connect)).body);
        tokens.push(opened.session);
        node = opened.node;
      }
      const secrets = tokens.map((t) => Buffer.from(t.slice(t.indexOf('.') + 1), 'base64url'));
      assert.ok(
        secrets.every((s) => s.length === 16),
        'each secret is 16 bytes',
      );
      assert.equal(new Set(tokens.map((t) => t.slice(t.indexOf('.') + 1))).size, tokens.length, 'no secret twice');
      // Over 200 × 128 bits, each bit is set about half the time: a counter or a clock would not be.
      const ones = secrets.reduce(
        (n, s) => n + [...s].reduce((m, b) => m + b.toString(2).replaceAll('0', '').length, 0),
        0,
      );
      assert.ok(Math.abs(ones / (200 * 128) - 0.5) < 0.02, `${ones} bits set of ${200 * 128}`);
      const [id, secret] = tokens[0].split('.');
      const flipped = `${id}.${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
      const poll = (session: string) =>
        exchange(port, 'POST', '/connection/poll', {}, JSON.stringify({ node, session, cursor: 0, waitMs: 0 }));
      const [wrong, unknown, right] = [
        await poll(flipped),
        await poll(`AAAAAAAAAAAA.${secret}`),
        await poll(tokens[0]),
      ];
      assert.deepEqual(wrong, unknown, 'the same answer: ids cannot be probed');
      assert.notEqual(wrong.status, 200);
      assert.equal(right.status, 200);
    });
  });

  describe('JWT', () => {
    let jwks: Awaited<ReturnType<typeof startJwksServer>>;
    let attacker: Awaited<ReturnType<typeof startJwksServer>>;
    let server: TestServer;
    let rsa: Awaited<ReturnType<typeof keyPair>>;
    before(async () => {
      rsa = await keyPair('RS256', 'rsa-1');
      jwks = await startJwksServer([rsa.jwk]);
      server = await startTestServer({ jwt: { jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE } });
    });
    after(async () => {
      await server.close();
      await jwks.close();
      await attacker?.close();
    });

    it('keys from the configured key set only: never jku, x5u or a jwk in the token', async () => {
      const evil = await keyPair('RS256', 'rsa-1');
      attacker = await startJwksServer([evil.jwk]);
      const claims = { sub: 'mallory', iss: ISSUER, aud: AUDIENCE };
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1', jku: attacker.url, x5u: attacker.url, jwk: evil.jwk })
        .setExpirationTime('5m')
        .sign(evil.privateKey);
      assert.equal(await connectOutcome(server.url, forged), 'disconnect 3500');
      assert.equal(attacker.fetches(), 0, 'the URL in the token was never fetched');
    });

    it('no clock skew allowed: exp one second ago is expired (109), nbf ahead is refused', async () => {
      const key = rsa.privateKey;
      const base = { sub: 'ann', iss: ISSUER, aud: AUDIENCE };
      const now = Math.floor(Date.now() / 1000);
      const token = (extra: object) =>
        new SignJWT({ ...base, ...extra }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(key);
      assert.equal(await connectOutcome(server.url, await token({ exp: now - 1 })), 'reply 109');
      assert.equal(await connectOutcome(server.url, await token({ exp: now + 60, nbf: now + 30 })), 'disconnect 3500');
      assert.equal(await connectOutcome(server.url, await token({ exp: now + 60 })), 'user ann');
    });
  });

  describe('backend proxy headers', () => {
    let backend: Backend;
    let server: SwitchboardServer;
    let port: number;
    before(async () => {
      backend = await startBackend((r) => (r.path === '/connect' ? { result: { user: 'ann' } } : { result: {} }));
      server = createServer({
        namespaces: { news: {} },
        proxy: { connect: { url: `${backend.url}/connect` }, headers: ['X-Tenant'] },
      });
      port = (await server.listen(0)).port;
    });
    after(async () => {
      await server.close();
      await backend.close();
    });

    it('only the transport’s real headers reach the backend, never values in the client’s payload', async () => {
      const forged = { 'x-tenant': 'forged', cookie: 'sid=forged' };
      const connect = JSON.stringify({
        id: 1,
        method: 'connect',
        params: { data: { headers: forged }, headers: forged },
      });
      const connectPlain = JSON.stringify({ id: 1, method: 'connect', params: { data: { headers: forged } } });
      for (const path of ['/connection/stream', '/connection/poll/open']) {
        for (const body of [connect, connectPlain]) {
          const before = backend.requests.length;
          await exchange(port, 'POST', path, { 'x-tenant': 'real' }, body);
          for (const r of backend.requests.slice(before))
            assert.deepEqual(r.body.headers, { 'x-tenant': 'real' }, `${path}: ${JSON.stringify(r.body)}`);
        }
      }
      assert.ok(backend.requests.length >= 2, 'the backend was asked');
    });
  });
});
