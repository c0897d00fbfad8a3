// No secret reaches a log line: the JWT secret, the API key (right or wrong),
// and tokens given in the query string, a cookie, `connect`, `refresh` and
// `subscribe`, valid, expired or forged. Checked on every level of an
// in-process server's logger (errors serialized as a real logger would, with
// message, stack and cause), and on everything a `serve` process prints.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Logger } from '@switchboard/server';
import { TestClient, startTestServer } from '@switchboard/testing';
import { WebSocket } from '@switchboard/websocket';
import { AUDIENCE, ISSUER, SECRET, connectOutcome, hs } from './helpers/jwt.js';
import { BIN, stopChild, waitForLine } from './helpers/process.js';

const API_KEY = 'log-test-api-key-0123456789-abcdef';
const WRONG_KEY = 'log-test-wrong-key-9876543210-zyxw';
const JWT = { secret: SECRET, issuer: ISSUER, audience: AUDIENCE, queryParam: 'token', cookie: 'sb_token' };
const NAMESPACES = { chat: { history: { size: 10, ttlMs: 60_000 }, presence: true } };

/** Opens a WebSocket with extra handshake headers and sends `connect` without a token: the reply or the close code. */
function connectWith(url: string, headers: Record<string, string>, origin?: string): Promise<string> {
  const ws = new WebSocket(url, 'switchboard.v1.json', { headers, origin });
  return new Promise((resolve) => {
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
    ws.onmessage = (e: MessageEvent) => {
      const reply = JSON.parse(String(e.data));
      resolve(reply.result ? 'connected' : `reply ${reply.error.code}`);
      ws.close();
    };
    ws.onclose = (e: CloseEvent) => resolve(`closed ${e.code}`);
    ws.onerror = () => resolve('handshake refused');
  });
}

/** Uses every credential path against a running server; returns the secrets it used and what each step got. */
async function exercise(httpBase: string, wsUrl: string): Promise<{ secrets: string[]; outcomes: string[] }> {
  const good = await hs({ sub: 'alice' });
  const expired = await hs({ sub: 'bob' }, { ttl: -60 });
  const forged = await hs({ sub: 'mallory' }, {}, 'forged-secret-0123456789-0123456789-xyz');
  const host = new URL(httpBase).host;
  const outcomes = [
    await connectOutcome(`${wsUrl}?token=${good}`, undefined),
    await connectOutcome(`${wsUrl}?v=1&token=${expired}`, undefined),
    await connectOutcome(`${wsUrl}?token=${forged}`, undefined),
    await connectOutcome(wsUrl, expired),
    await connectOutcome(wsUrl, forged),
    await connectWith(wsUrl, { cookie: `theme=dark; sb_token=${good}` }, `http://${host}`),
    await connectWith(wsUrl, { cookie: `sb_token=${forged}` }, `http://${host}`),
    await connectWith(`${wsUrl}?token=${good}`, { cookie: `sb_token=${good}` }, 'http://evil.example'),
  ];
  for (const [method, params] of [
    ['refresh', { token: forged }],
    ['refresh', { token: expired }],
    ['subscribe', { channel: 'chat:a', token: forged }],
    ['subscribe', { channel: 'nope:a', token: good }],
  ] as const) {
    const client = await TestClient.open(wsUrl, { timeoutMs: 2000 });
    await client.connect({ token: good });
    const answer = client.command(method, params).then(
      () => `${method} ok`,
      (e: Error & { code?: number }) => `${method} ${e.code ?? e.message}`,
    );
    outcomes.push(await Promise.race([answer, client.closed.then((c) => `${method} closed ${c.code}`)]));
    await client.close();
  }
  const call = async (path: string, key: string | undefined, body: string) => {
    const res = await fetch(`${httpBase}${path}`, {
      method: 'POST',
      headers: key ? { authorization: `apikey ${key}` } : {},
      body,
    });
    return `${path.split('?')[0]} ${res.status}`;
  };
  outcomes.push(
    await call('/api/publish', API_KEY, JSON.stringify({ channel: 'chat:a', data: { token: 'not-a-secret' } })),
    await call('/api/info', WRONG_KEY, '{}'),
    await call(`/api/info?apikey=${WRONG_KEY}`, undefined, '{}'),
    await call('/api/publish', API_KEY, '{"channel":'),
    await call('/api/history', API_KEY, JSON.stringify({ channel: 'chat:a', since: { offset: 99, epoch: 'x' } })),
  );
  const secrets = [SECRET, API_KEY, WRONG_KEY, ...[good, expired, forged].flatMap((t) => [t, t.split('.')[2]])];
  return { secrets, outcomes };
}

/** Serializes log fields as a real logger does: errors with their message, stack and cause. */
function serialize(fields: object): string {
  return JSON.stringify(fields, (_key, value) =>
    value instanceof Error
      ? { name: value.name, message: value.message, stack: value.stack, cause: value.cause }
      : value,
  );
}

function leaks(lines: string[], secrets: string[]): string[] {
  return lines.filter((line) => secrets.some((s) => line.includes(s)));
}

describe('no secret in a log line', { timeout: 60_000 }, () => {
  const children: ChildProcess[] = [];
  after(() => Promise.all(children.map(stopChild)));

  it('in-process server: every level, every credential path', async () => {
    const lines: string[] = [];
    const record = (level: string) => (fields: object, message: string) =>
      void lines.push(`${level} ${message} ${serialize(fields)}`);
    const log: Logger = { info: record('info'), warn: record('warn'), error: record('error') };
    const t = await startTestServer({ allowAnonymous: false, apiKey: API_KEY, jwt: JWT, namespaces: NAMESPACES }, log);
    try {
      const { secrets, outcomes } = await exercise(t.httpUrl, t.url);
      console.log(`outcomes: ${outcomes.join(' | ')}`);
      console.log(`log lines captured: ${lines.length}; lines with a secret: ${leaks(lines, secrets).length}`);
      assert.ok(
        outcomes.includes('user alice') && outcomes.includes('/api/publish 200') && outcomes.includes('/api/info 401'),
        'each path was really taken',
      );
      assert.ok(
        lines.some((l) => l.includes('invalid token')) && lines.some((l) => l.includes('origin not allowed')),
        'refusals are logged (so the check is not vacuous)',
      );
      assert.deepEqual(leaks(lines, secrets), []);
    } finally {
      await t.close();
    }
  });

  it('a serve process: nothing it prints, on stdout or stderr', async () => {
    const config = join(tmpdir(), `sb-log-secrets-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        jwt: { issuer: ISSUER, audience: AUDIENCE, queryParam: 'token', cookie: 'sb_token' },
        namespaces: NAMESPACES,
      }),
    );
    const env = { ...process.env, SWITCHBOARD_API_KEY: API_KEY, SWITCHBOARD_JWT_SECRET: SECRET };
    const child = spawn(BIN, ['serve', '--port', '0', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c));
    child.stderr!.on('data', (c: Buffer) => (output += c));
    const [, base] = await waitForLine(child, /demo page\s+(http:\/\/127\.0\.0\.1:\d+)\//);
    const { secrets, outcomes } = await exercise(base, `${base.replace('http', 'ws')}/connection/websocket`);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const lines = output.split('\n');
    console.log(
      `serve printed ${lines.length} lines; lines with a secret: ${leaks(lines, secrets).length}; ` +
        `outcomes: ${outcomes.slice(0, 3).join(' | ')} …`,
    );
    assert.ok(output.includes('invalid token'), 'the refusals are printed (so the check is not vacuous)');
    assert.deepEqual(leaks(lines, secrets), []);
  });
});
