// The pure parts of authentication: permission patterns, the verification cache, the
// handshake's credential and Origin checks, and option validation that names the option at fault.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { handshakeCredential } from '../src/auth/handshake-credential.js';
import { resolveJwtOptions } from '../src/auth/jwt-options.js';
import { originCheck, resolveAllowedOrigins } from '../src/auth/origin-policy.js';
import { authorize, parsePermissions, permits } from '../src/auth/permissions.js';
import { VerificationCache } from '../src/auth/verification-cache.js';
import { createServer } from '../src/index.js';

const SECRET = 's'.repeat(32);

describe('permissions', () => {
  const allow = { subscribe: ['chat:*', 'news:today'], publish: ['chat:room'], rpc: ['get*'] };

  it('match exactly or by a trailing * prefix', () => {
    assert.equal(permits(allow, 'subscribe', 'chat:x'), true);
    assert.equal(permits(allow, 'subscribe', 'chat:'), true);
    assert.equal(permits(allow, 'subscribe', 'news:today'), true);
    assert.equal(permits(allow, 'subscribe', 'news:todayx'), false);
    assert.equal(permits(allow, 'subscribe', 'chatx:y'), false);
    assert.equal(permits(allow, 'rpc', 'getUser'), true);
    assert.equal(permits(allow, 'rpc', 'setUser'), false);
    assert.equal(permits({ subscribe: ['*'] }, 'subscribe', 'any:thing'), true);
  });

  it('refuse an action without a list, except history and presence, which follow subscribe', () => {
    assert.equal(permits(allow, 'publish', 'chat:other'), false);
    assert.equal(permits(allow, 'history', 'chat:x'), true);
    assert.equal(permits(allow, 'presence', 'news:x'), false);
    assert.equal(permits({ ...allow, history: [] }, 'history', 'chat:x'), false);
    assert.equal(permits({}, 'rpc', 'getUser'), false);
  });

  it('authorize refuses with 103, and lets everything through without permissions', () => {
    assert.throws(() => authorize({ permissions: allow }, 'publish', 'chat:x'), { code: 103 });
    authorize({ permissions: undefined }, 'publish', 'chat:x');
  });

  it('parse refuses malformed claims, naming the fault', () => {
    assert.equal(parsePermissions(undefined), undefined);
    assert.throws(() => parsePermissions([]), /must be an object/);
    assert.throws(() => parsePermissions({ write: ['x'] }), /permissions\.write is not an action/);
    assert.throws(() => parsePermissions({ subscribe: 'chat:*' }), /permissions\.subscribe must be a list/);
    assert.throws(() => parsePermissions({ rpc: [''] }), /permissions\.rpc must be a list of non-empty strings/);
  });
});

describe('verification cache', () => {
  it('is bounded: the least recently used entry goes first', () => {
    const cache = new VerificationCache<number>(3, 60_000);
    for (let i = 0; i < 3; i++) cache.set(`t${i}`, i, undefined, 0);
    assert.equal(cache.get('t0', 1), 0, 't0 is now the most recently used');
    cache.set('t3', 3, undefined, 2);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('t1', 3), undefined, 't1 was the least recently used');
    assert.deepEqual(
      ['t0', 't2', 't3'].map((t) => cache.get(t, 3)),
      [0, 2, 3],
    );
    for (let i = 0; i < 1000; i++) cache.set(`x${i}`, i, undefined, 4);
    assert.equal(cache.size, 3);
  });

  it('keeps an entry until the token expires or the TTL ends, whichever is first; TTL 0 keeps nothing', () => {
    const cache = new VerificationCache<string>(10, 1000);
    cache.set('short', 'a', 500, 0);
    cache.set('long', 'b', 10_000, 0);
    cache.set('gone', 'c', 0, 0);
    assert.equal(cache.get('short', 499), 'a');
    assert.equal(cache.get('short', 500), undefined);
    assert.equal(cache.get('long', 999), 'b');
    assert.equal(cache.get('long', 1000), undefined);
    assert.equal(cache.get('gone', 0), undefined);
    const off = new VerificationCache<string>(10, 0);
    off.set('t', 'v', undefined, 0);
    assert.equal(off.get('t', 0), undefined);
  });
});

describe('handshake credential', () => {
  const both = { cookie: 'sb_token', queryParam: 'token' };
  it('reads the configured cookie first, then the query parameter', () => {
    assert.equal(
      handshakeCredential({ headers: { cookie: 'a=1; sb_token=c.o.k; b=2' }, url: '/ws?token=q.u.e' }, both),
      'c.o.k',
    );
    assert.equal(handshakeCredential({ headers: { cookie: 'a=1, sb_token="quoted"' }, url: '/ws' }, both), 'quoted');
    assert.equal(handshakeCredential({ headers: {}, url: '/ws?x=1&token=q.u.e' }, both), 'q.u.e');
    assert.equal(
      handshakeCredential(
        { headers: { cookie: 'sb_token=c' }, url: '/ws?token=q' },
        { cookie: undefined, queryParam: undefined },
      ),
      undefined,
    );
    assert.equal(handshakeCredential({ headers: { cookie: 'xsb_token=c' }, url: '/ws' }, both), undefined);
  });
});

describe('origin check', () => {
  const request = (host: string) => ({
    method: 'GET',
    target: '/',
    version: 'HTTP/1.1',
    headers: new Map([['host', host]]),
  });
  it("with cookie auth and no list: the Host header's own origin, or no Origin at all", () => {
    const check = originCheck(undefined, true)!;
    assert.equal(check(undefined, request('127.0.0.1:8000')), true);
    assert.equal(check('http://127.0.0.1:8000', request('127.0.0.1:8000')), true);
    assert.equal(check('https://App.Example', request('app.example:443')), true);
    assert.equal(check('http://127.0.0.1:9000', request('127.0.0.1:8000')), false);
    assert.equal(check('null', request('127.0.0.1:8000')), false);
  });
  it('with allowedOrigins: exactly those; without either: no check', () => {
    const check = originCheck(['https://app.example'], true)!;
    assert.equal(check('https://app.example', request('ws.example')), true);
    assert.equal(check('https://evil.example', request('ws.example')), false);
    assert.equal(originCheck(undefined, false), undefined);
  });
  it('allowedOrigins must be exact origins', () => {
    assert.deepEqual(resolveAllowedOrigins(['http://127.0.0.1:8000']), ['http://127.0.0.1:8000']);
    assert.throws(() => resolveAllowedOrigins(['https://app.example/']), /allowedOrigins\[0\] must be an origin/);
    assert.throws(() => resolveAllowedOrigins('https://app.example'), /allowedOrigins must be a list/);
  });
});

describe('jwt options', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k: typeof rsa) => k.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('derive the algorithms from the key source', () => {
    assert.deepEqual(resolveJwtOptions({ secret: SECRET }).algorithms, ['HS256']);
    assert.deepEqual(resolveJwtOptions({ publicKey: pem(rsa) }).algorithms, ['RS256']);
    assert.deepEqual(resolveJwtOptions({ publicKey: pem(ec) }).algorithms, ['ES256']);
    assert.deepEqual(resolveJwtOptions({ jwksUrl: 'https://auth.example/jwks.json' }).algorithms, ['RS256', 'ES256']);
    assert.deepEqual(resolveJwtOptions({ secret: SECRET }).cacheTtlMs, 60_000);
  });

  for (const [label, options, message] of [
    ['no key source', {}, /jwt needs exactly one of secret, publicKey, jwksUrl; got none/],
    ['two key sources', { secret: SECRET, jwksUrl: 'https://a.example/jwks' }, /exactly one .* got secret, jwksUrl/],
    ['a short secret', { secret: 'short' }, /jwt\.secret must be a string of at least 32 characters/],
    [
      'RS256 with a secret',
      { secret: SECRET, algorithms: ['RS256'] },
      /jwt\.algorithms may only hold HS256 with jwt\.secret, got RS256/,
    ],
    ['a publicKey that is no PEM', { publicKey: 'not a key' }, /jwt\.publicKey is not a PEM public key/],
    [
      'a private key as publicKey',
      { publicKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
      /jwt\.publicKey must be a PEM public key \(never the private key\)/,
    ],
    ['an ftp jwksUrl', { jwksUrl: 'ftp://a.example/jwks' }, /jwt\.jwksUrl must be an http\(s\) URL/],
    ['a bad cookie name', { secret: SECRET, cookie: 'bad name' }, /jwt\.cookie must be a cookie name/],
    ['a negative cacheSize', { secret: SECRET, cacheSize: -1 }, /jwt\.cacheSize must be a non-negative integer/],
    ['an unknown option', { secret: SECRET, secrets: [] }, /jwt\.secrets is not a jwt option/],
  ] as const) {
    it(`refuse ${label}`, () =>
      assert.throws(() => resolveJwtOptions(options as never), { name: 'TypeError', message }));
  }

  it('RS and ES keys accept only their own algorithm', () => {
    assert.throws(
      () => resolveJwtOptions({ publicKey: pem(ec), algorithms: ['RS256'] }),
      /may only hold ES256 with jwt\.publicKey/,
    );
    assert.throws(() => resolveJwtOptions({ publicKey: pem(rsa), algorithms: ['HS256'] }), /may only hold RS256/);
  });

  it('are validated when the server is created', () => {
    assert.throws(() => createServer({ jwt: { secret: 'short' } }), /jwt\.secret/);
    assert.throws(() => createServer({ allowedOrigins: ['nope'] }), /allowedOrigins\[0\]/);
  });
});
