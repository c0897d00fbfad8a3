// Fuzzes every HTTP endpoint of a real server on port 0 over raw TCP: random and
// malformed methods, targets, versions, headers, content types, framings, bodies
// and sizes, pipelined and split at random, plus slow bodies (slowloris on /api).
// Invariant: every request gets a documented answer (docs/server-api.md#errors):
// a 2xx, a documented 4xx, or 503 with code 115; never another 5xx, never a hang,
// and no "API call failed" (an internal error) in the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { redisEngine } from '@switchboard/engine-redis';
import { startTestServer, TEST_API_KEY, type TestServer } from '@switchboard/testing';
import { startRedis, type RedisProcess } from '@switchboard/testing/internal';
import { rawExchange, type RawExchange, type RawResponse } from './helpers/raw-http.js';

const BODY_TIMEOUT_MS = 400;
const MAX_BODY = 4096;
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

/** Documented API answers: status → the body codes it may carry (null: any, the 400 fallback). */
const API_ANSWERS: Record<number, number[] | null> = {
  400: null,
  401: [101],
  403: [103],
  404: [104],
  405: [107],
  408: [114],
  409: [112],
  413: [106],
  503: [115],
};
/**
 * Answers Node's HTTP parser gives before our handler runs (malformed head, headers too large, bad Expect), and refused
 * upgrades / CONNECT.
 */
const NODE_ANSWERS = new Set([400, 404, 405, 408, 417, 431]);
/**
 * Refusals of a WebSocket handshake on the WebSocket path (docs/error-codes.md: a plain-text body and
 * `X-Switchboard-Error`).
 */
const HANDSHAKE_ANSWERS = new Set([400, 403, 405, 408, 426, 431]);

interface RequestSpec {
  method: string;
  target: string;
  version: string;
  auth: string | undefined;
  contentType: string | undefined;
  extra: [string, string][];
  body: Buffer;
  framing: 'length' | 'chunked' | 'bad-chunked' | 'none' | 'short' | 'long' | 'both';
}

const API_METHODS = [
  'publish',
  'broadcast',
  'history',
  'history_remove',
  'presence',
  'presence_stats',
  'channels',
  'disconnect',
  'unsubscribe',
  'send',
  'info',
];
const channel = fc.oneof(
  fc.constantFrom(
    'chat:a',
    'chat:b',
    'chat:__proto__',
    'chat:constructor',
    '__proto__',
    'constructor',
    'toString',
    'nochat:x',
    'chat:',
    ':',
    '',
    'chat:' + 'x'.repeat(300),
    'chat:a#b',
    'chat:\u0000',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const anyValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, 1e308, 3011, 4501, 1012, 1001, '', 'x'),
);
const shapedBody = fc
  .record(
    {
      channel,
      channels: fc.oneof(fc.array(channel, { maxLength: 4 }), anyValue),
      data: anyValue,
      user: fc.oneof(fc.string({ maxLength: 8 }), anyValue),
      since: fc.oneof(
        fc.record({ offset: fc.oneof(fc.integer(), anyValue), epoch: fc.oneof(fc.string({ maxLength: 8 }), anyValue) }),
        anyValue,
      ),
      limit: anyValue,
      reverse: anyValue,
      code: anyValue,
      reason: fc.oneof(fc.string({ maxLength: 200 }), anyValue),
      idempotencyKey: anyValue,
      reconnectAfterMs: anyValue,
      reconnectUntilMs: anyValue,
    },
    { requiredKeys: [] },
  )
  .map((o) => Buffer.from(JSON.stringify(o) ?? '{}'));
const body = fc.oneof(
  { weight: 6, arbitrary: shapedBody },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from('{"channel":"chat:a","data":{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}}'),
      Buffer.from('{"__proto__":{"channel":"chat:a"},"channel":"chat:a","data":1}'),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from('[1,2,3]'),
      Buffer.from('null'),
      Buffer.from('"string"'),
      Buffer.from('{"channel":"chat:a","data":' + '['.repeat(5000) + ']'.repeat(5000) + '}'),
      Buffer.alloc(MAX_BODY + 1, 0x20),
      Buffer.from(`{"channel":"chat:a","data":"${'x'.repeat(MAX_BODY * 3)}"}`),
    ),
  },
);
const headerName = fc.oneof(
  fc.constantFrom(
    'Accept',
    'Cookie',
    'Origin',
    'X-Forwarded-For',
    'Expect',
    'Connection',
    'Upgrade',
    'Content-Encoding',
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Authorization',
  ),
  fc.stringMatching(/^[A-Za-z-]{1,12}$/),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    '100-continue',
    'gzip',
    'keep-alive',
    'close',
    'Upgrade',
    'websocket',
    'h2c',
    'chunked',
    '-1',
    '99999999999999999999',
    'x'.repeat(20_000),
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const request: fc.Arbitrary<RequestSpec> = fc.record({
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant('POST') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'GET',
        'HEAD',
        'PUT',
        'DELETE',
        'OPTIONS',
        'PATCH',
        'TRACE',
        'CONNECT',
        'post',
        'FOO',
        'PRI',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  ),
  target: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...API_METHODS).map((m) => `/api/${m}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '/health',
        '/metrics',
        '/',
        '/api/',
        '/api',
        '/api/__proto__',
        '/api/constructor',
        '/api/drain/../publish',
        '/api/publish?x=1',
        '/API/publish',
        '*',
        'http://h/api/publish',
        '/connection/websocket',
        '/api/%00',
        '/' + 'a'.repeat(20_000),
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `/api/${s}`) },
  ),
  version: fc.oneof(
    { weight: 10, arbitrary: fc.constant('HTTP/1.1') },
    { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/9') },
  ),
  auth: fc.oneof(
    { weight: 8, arbitrary: fc.constant(`apikey ${TEST_API_KEY}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        undefined,
        'apikey wrong',
        `Bearer ${TEST_API_KEY}`,
        'apikey ',
        '',
        `apikey ${TEST_API_KEY} `,
        `APIKEY ${TEST_API_KEY}`,
        `apikey ${TEST_API_KEY.slice(0, -1)}`,
        `apikey ${'k'.repeat(5000)}`,
      ),
    },
  ),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    '\u00ff',
  ),
  extra: fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as [string, string][]) },
    { weight: 2, arbitrary: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('websocket', 'h2c', 'foo', 'WebSocket').map((u): [string, string][] => [
        ['Connection', 'Upgrade'],
        ['Upgrade', u],
      ]),
    },
  ),
  body,
  framing: fc.oneof(
    { weight: 12, arbitrary: fc.constant('length' as const) },
    { weight: 2, arbitrary: fc.constant('chunked' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'none' as const,
        'bad-chunked' as const,
        'short' as const,
        'long' as const,
        'both' as const,
      ),
    },
  ),
});

function encode(r: RequestSpec): Buffer {
  const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd(), 'Host: 127.0.0.1'];
  if (r.auth !== undefined) lines.push(`Authorization: ${r.auth}`);
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  for (const [name, value] of r.extra) lines.push(`${name}: ${value}`);
  let payload = r.body;
  switch (r.framing) {
    case 'length':
      lines.push(`Content-Length: ${r.body.length}`);
      break;
    case 'short':
      lines.push(`Content-Length: ${Math.floor(r.body.length / 2)}`);
      break;
    case 'long':
      lines.push(`Content-Length: ${r.body.length + 1 + (r.body.length % 97)}`);
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([
        Buffer.from(`${r.body.length.toString(16)}\r\n`),
        r.body,
        Buffer.from(r.body.length ? '\r\n0\r\n\r\n' : '\r\n'),
      ]);
      break;
    case 'bad-chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([Buffer.from('zz\r\n'), r.body]);
      break;
    case 'both':
      lines.push(`Content-Length: ${r.body.length}`, 'Transfer-Encoding: chunked');
      break;
    case 'none':
      break;
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
}

/** Splits `bytes` at the given fractions, each piece after a short pause. */
function pieces(bytes: Buffer, cuts: number[], delayMs: number) {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))]
    .filter((i) => i > 0 && i < bytes.length)
    .sort((a, b) => a - b);
  const out: { bytes: Buffer; delayMs: number }[] = [];
  let prev = 0;
  for (const i of [...at, bytes.length]) {
    out.push({ bytes: bytes.subarray(prev, i), delayMs: prev === 0 ? 0 : delayMs });
    prev = i;
  }
  return out;
}

/** Why an answer breaks the invariant, or undefined when it is documented. */
function violation(res: RawResponse, method: string | undefined, target?: string): string | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  if (res.headers['x-switchboard-error'])
    return HANDSHAKE_ANSWERS.has(res.status) ? undefined : `handshake refused with ${res.status}`;
  // A HEAD answer has no body to carry the code: its status alone must be documented.
  if (method?.toUpperCase() === 'HEAD') {
    // Readiness answers 503 while the engine is away (docs/server-api.md); any other 503 needs its code.
    const readiness = res.status === 503 && (target === '/health' || target === '/health/ready');
    return (res.status in API_ANSWERS && res.status !== 503) || readiness || NODE_ANSWERS.has(res.status)
      ? undefined
      : `HEAD answered ${res.status}`;
  }
  let json: any;
  try {
    json = res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined;
  } catch {
    return `${res.status} with a body that is not JSON`;
  }
  const code = json?.error?.code;
  if (typeof code === 'number') {
    const allowed = API_ANSWERS[res.status];
    if (allowed === undefined) return `${res.status} (code ${code}) is not a documented status`;
    if (allowed !== null && !allowed.includes(code)) return `${res.status} with undocumented code ${code}`;
    return undefined;
  }
  if (json === undefined && NODE_ANSWERS.has(res.status)) return undefined;
  // Readiness (`/health`, `/health/ready`): 503 with the reason, documented in docs/server-api.md#health.
  if (res.status === 503 && ['starting', 'draining', 'engine-unavailable'].includes(json?.status)) return undefined;
  return `${res.status} ${JSON.stringify(json)?.slice(0, 80)}`;
}

const TOKEN_METHODS = new Set(['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']);
/**
 * A request Node's parser accepts as sent. Behind a malformed one Node closes
 * the connection, with 400 when no answer is in flight, else silently (its
 * `clientError` default): those sequences need not be answered to the end.
 * CONNECT is left out too: Node hands the socket over at once (405 from us),
 * so answers still in flight for requests pipelined before it are lost; and
 * HTTP/1.0, after which the connection ends (data behind it gets Node's 400).
 */
const wellFormed = (r: RequestSpec) =>
  TOKEN_METHODS.has(r.method) &&
  r.version === 'HTTP/1.1' &&
  r.extra.length === 0 &&
  r.contentType !== '\u00ff' &&
  (r.framing === 'length' || r.framing === 'chunked' || (r.framing === 'none' && r.body.length === 0)) &&
  /^[\x21-\x7e]{1,1000}$/.test(r.target) &&
  (r.auth?.length ?? 0) <= 1000;

/**
 * Every answer documented and no timeout; every request answered, or the
 * connection closed after an answer that said so (`connection: close`), or
 * after a malformed request.
 */
function exchangeViolations(x: RawExchange, requests: RequestSpec[] | number): string[] {
  const count = typeof requests === 'number' ? requests : requests.length;
  const allWellFormed = typeof requests === 'number' || requests.every(wellFormed);
  const found: string[] = [];
  if (x.timedOut) found.push(`no answer within ${x.ms} ms (got ${x.responses.length}/${count})`);
  for (const [i, r] of x.responses.entries()) {
    const why =
      typeof requests === 'number' ? violation(r, 'POST') : violation(r, requests[i]?.method, requests[i]?.target);
    if (why) found.push(why);
  }
  if (x.responses.length < count && !x.timedOut) {
    const last = x.responses.at(-1);
    if (!last) found.push('connection closed without an answer');
    else if (last && last.headers.connection?.toLowerCase() !== 'close' && allWellFormed)
      found.push(`closed after ${x.responses.length}/${count} answers without "connection: close"`);
  }
  return found;
}

describe('HTTP fuzzing: every endpoint, real server, raw TCP', { timeout: 180_000 }, () => {
  let t: TestServer;
  let port: number;
  const errors: string[] = [];
  const log = {
    info() {},
    warn() {},
    error: (fields: object, message: string) => void errors.push(`${message} ${JSON.stringify(fields)}`),
  };

  before(async () => {
    t = await startTestServer(
      {
        apiBodyTimeoutMs: BODY_TIMEOUT_MS,
        maxApiBodySize: MAX_BODY,
        namespaces: {
          chat: { history: { size: 20, ttlMs: 60_000 }, presence: true, joinLeave: true, allowPublish: true },
        },
      },
      log,
    );
    port = Number(new URL(t.httpUrl).port);
  });
  after(() => t.close());

  it(`answers ${RUNS} random request sequences (pipelined, split) with documented statuses only`, async () => {
    const tally = {
      runs: 0,
      requests: 0,
      wellFormedPipelines: 0,
      statuses: new Map<number, number>(),
      violations: [] as string[],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
        fc.constantFrom(0, 0, 1, 5),
        async (requests, cuts, delayMs) => {
          const bytes = Buffer.concat(requests.map(encode));
          const x = await rawExchange(
            port,
            pieces(bytes, cuts, delayMs),
            requests.map((r) => r.method),
            BODY_TIMEOUT_MS + 3000,
          );
          tally.runs++;
          tally.requests += requests.length;
          if (requests.length > 1 && requests.every(wellFormed)) tally.wellFormedPipelines++;
          for (const r of x.responses) tally.statuses.set(r.status, (tally.statuses.get(r.status) ?? 0) + 1);
          const found = exchangeViolations(x, requests);
          if (found.length)
            tally.violations.push(
              `${found.join('; ')}; ` +
                `answers ${JSON.stringify(x.responses.map((r) => [r.status, r.headers.connection]))} ` +
                `← ${JSON.stringify(bytes.subarray(0, 1500).toString('latin1'))}`,
            );
          assert.deepEqual(found, [], tally.violations.at(-1));
        },
      ),
      { numRuns: RUNS, endOnFailure: true, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    console.log(
      `http fuzz: ${tally.runs} runs, ${tally.requests} requests (${tally.wellFormedPipelines} ` +
        `well-formed pipelines answered in full), ` +
        `statuses ${JSON.stringify(Object.fromEntries([...tally.statuses].sort(([a], [b]) => a - b)))}, ` +
        `violations ${tally.violations.length}, internal errors logged ${errors.length}`,
    );
    assert.deepEqual(errors, [], 'no request may end in an internal error');
    // The server still serves everyone else.
    assert.equal((await t.api('publish', { channel: 'chat:a', data: { after: 'fuzz' } })).status, 200);
    assert.equal((await fetch(`${t.httpUrl}/health`)).status, 200);
  });

  it('answers every request of a well-formed pipeline, in one write or split, in order', async () => {
    const tally = { runs: 0, requests: 0, statuses: new Map<number, number>() };
    const wellFormedRequest = request.filter(wellFormed);
    await fc.assert(
      fc.asyncProperty(
        fc.array(wellFormedRequest, { minLength: 2, maxLength: 6 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        async (requests, cuts) => {
          const x = await rawExchange(
            port,
            pieces(Buffer.concat(requests.map(encode)), cuts, 1),
            requests.map((r) => r.method),
            BODY_TIMEOUT_MS + 3000,
          );
          tally.runs++;
          tally.requests += requests.length;
          for (const r of x.responses) tally.statuses.set(r.status, (tally.statuses.get(r.status) ?? 0) + 1);
          assert.deepEqual(exchangeViolations(x, requests), []);
          // In order: a HEAD answer has no body, any other error answer has one.
          for (const [i, r] of x.responses.entries())
            if (r.status >= 400 && r.status !== 417)
              assert.equal(
                r.body.length === 0,
                requests[i].method === 'HEAD' || requests[i].method === 'CONNECT',
                `answer ${i}`,
              );
        },
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
    console.log(
      `http pipelining: ${tally.runs} pipelines, ${tally.requests} requests, ` +
        `statuses ${JSON.stringify(Object.fromEntries([...tally.statuses].sort(([a], [b]) => a - b)))}, violations 0`,
    );
  });

  it(
    'times out slow bodies (slowloris on /api) ' + 'with 408 / 114 and closes; the API stays responsive meanwhile',
    async () => {
      const slow = 40;
      const head = (i: number) =>
        Buffer.from(
          `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey ${i % 2 ? TEST_API_KEY : 'wrong-key'}\r\n` +
            `Content-Length: 1000\r\n\r\n{"channel":"chat:a",`,
        );
      // Each sends its head, then one byte every 100 ms: it would take 100 s to finish.
      const drips = Array.from({ length: slow }, (_, i) =>
        // Two answers awaited for one request: the exchange ends only when the server closes the connection.
        rawExchange(
          port,
          [
            { bytes: head(i), delayMs: 0 },
            ...Array.from({ length: 60 }, () => ({ bytes: Buffer.from(' '), delayMs: 100 })),
          ],
          ['POST', 'POST'],
          BODY_TIMEOUT_MS + 3000,
        ),
      );
      const started = Date.now();
      const meanwhile = await t.api('publish', { channel: 'chat:a', data: 'meanwhile' });
      const apiMs = Date.now() - started;
      const results = await Promise.all(drips);
      const statuses = results.map(
        (x) => `${x.responses[0]?.status}/${JSON.parse(x.responses[0]?.body.toString() || '{}').error?.code}`,
      );
      const slowest = Math.max(...results.map((x) => x.ms));
      console.log(
        `slowloris: ${slow} slow senders →` +
          ` ${JSON.stringify(Object.fromEntries(statuses.map((s) => [s, statuses.filter((x) => x === s).length])))}; ` +
          `slowest answer ${slowest} ms (apiBodyTimeoutMs ${BODY_TIMEOUT_MS}); ` +
          `a normal call meanwhile ${meanwhile.status} in ${apiMs} ms`,
      );
      assert.equal(meanwhile.status, 200);
      for (const [i, x] of results.entries()) {
        assert.equal(x.timedOut, false);
        // A valid key: the body is read and times out (408 / 114). A wrong key: 401 at once, and the unread body closes
        // the connection.
        assert.equal(statuses[i], i % 2 ? '408/114' : '401/101');
        assert.equal(x.responses[0].headers.connection, 'close');
        assert.ok(x.closedByServer, 'the server closes the slow connection');
      }
      assert.ok(slowest < BODY_TIMEOUT_MS + 1500, `slowest answer ${slowest} ms`);
    },
  );

  it('fuzzes slow-body shapes: any pace, any size, answered within apiBodyTimeoutMs', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...API_METHODS),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 20, max: 250 }),
        async (method, declared, drip, paceMs) => {
          const head = Buffer.from(
            `POST /api/${method} HTTP/1.1\r\nHost: x\r\nAuthorization: apikey ${TEST_API_KEY}\r\n` +
              `Content-Length: ${declared}\r\n\r\n`,
          );
          const drops = Array.from({ length: 40 }, () => ({ bytes: Buffer.alloc(drip, 0x20), delayMs: paceMs }));
          const x = await rawExchange(port, [{ bytes: head, delayMs: 0 }, ...drops], ['POST'], BODY_TIMEOUT_MS + 3000);
          runs++;
          assert.deepEqual(exchangeViolations(x, 1), []);
          assert.ok([400, 408, 413].includes(x.responses[0].status), `status ${x.responses[0].status}`);
        },
      ),
      { numRuns: 12 },
    );
    console.log(`slow-body fuzz: ${runs} runs, violations 0`);
  });
});

describe("HTTP fuzzing while the engine's Redis is gone", { timeout: 120_000 }, () => {
  let redis: RedisProcess;
  let t: TestServer;
  let port: number;
  const errors: string[] = [];
  const log = {
    info() {},
    warn() {},
    error: (fields: object, message: string) => void errors.push(`${message} ${JSON.stringify(fields)}`),
  };

  before(async () => {
    redis = await startRedis();
    const engine = redisEngine({ urls: [redis.url], prefix: `fuzz:${process.pid}:`, commandTimeoutMs: 200 });
    t = await startTestServer(
      {
        engine,
        apiBodyTimeoutMs: BODY_TIMEOUT_MS,
        maxApiBodySize: MAX_BODY,
        namespaces: { chat: { history: { size: 20, ttlMs: 60_000 }, presence: true, allowPublish: true } },
      },
      log,
    );
    port = Number(new URL(t.httpUrl).port);
  });
  after(async () => {
    await redis.restart();
    await t.close();
    await redis.kill();
  });

  for (const [fault, runs] of [
    ['killed', Math.ceil(RUNS / 4)],
    ['frozen', Math.ceil(RUNS / 10)],
  ] as const) {
    it(`answers with documented statuses only, 503 / 115 where the engine is needed (Redis ${fault})`, async () => {
      if (fault === 'killed') await redis.kill();
      else {
        await redis.restart();
        redis.freeze();
      }
      const statuses = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), async (requests) => {
          const x = await rawExchange(
            port,
            [{ bytes: Buffer.concat(requests.map(encode)), delayMs: 0 }],
            requests.map((r) => r.method),
            BODY_TIMEOUT_MS + 3000,
          );
          for (const r of x.responses) {
            const key = `${r.status}${r.status === 503 ? `/${JSON.parse(r.body.toString() || '{}').error?.code}` : ''}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          }
          assert.deepEqual(exchangeViolations(x, requests), []);
        }),
        { numRuns: runs },
      );
      console.log(
        `http fuzz, Redis ${fault}: ${runs} runs, ` +
          `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, violations 0, ` +
          `internal errors logged ${errors.length}`,
      );
      assert.ok((statuses.get('503/115') ?? 0) > 0, 'calls that need the engine got 503 / 115');
      assert.deepEqual(errors, []);
    });
  }
});
