// The `switchboard` bin as users run it after `npm install`: echo, connect, and argument errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WS from 'ws';
import { startNats } from '@switchboard/testing/internal';
import { BIN, waitForLine } from './helpers/process.js';

describe('switchboard CLI', { timeout: 60_000 }, () => {
  let echo: ChildProcess;
  let port: number;

  before(async () => {
    echo = spawn(BIN, ['echo', '--port', '0', '--max-message', '1048576'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const match = await waitForLine(echo, /listening on ws:\/\/127\.0\.0\.1:(\d+) \(max message 1048576 bytes\)/);
    port = Number(match[1]);
  });

  after(() => {
    if (echo.exitCode === null) echo.kill('SIGKILL');
  });

  it('echo returns text as text and binary as binary', async () => {
    const ws = new WS(`ws://127.0.0.1:${port}/`);
    await once(ws, 'open');
    ws.send('txt');
    const [text, textIsBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    ws.send(Buffer.from([1, 2, 3]));
    const [bin, binIsBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.deepEqual([text.toString(), textIsBinary, [...bin], binIsBinary], ['txt', false, [1, 2, 3], true]);
    ws.send(Buffer.alloc(1048577));
    const [code] = await once(ws, 'close');
    assert.equal(code, 1009, '--max-message is applied');
  });

  it('connect sends stdin lines and prints messages, pongs and the close code', async () => {
    const client = spawn(BIN, ['connect', `ws://127.0.0.1:${port}/`], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    client.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    client.stdin!.end('hello\n/ping abc\n/binary 0102ff\n/close 4001 see you\n');
    const [exitCode] = await once(client, 'exit');
    assert.equal(exitCode, 0);
    assert.equal(
      output,
      [
        `connected to ws://127.0.0.1:${port}/`,
        '< hello',
        '< pong abc',
        '< [binary 3 bytes] 0102ff',
        'closed 4001',
        '',
      ].join('\n'),
    );
  });

  it('argument errors exit 2 with a message naming the problem', () => {
    const unknown = spawnSync(BIN, ['nope'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "nope"/);
    const badPort = spawnSync(BIN, ['echo', '--port', 'abc'], { encoding: 'utf8' });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--port must be a non-negative integer/);
    const noUrl = spawnSync(BIN, ['connect'], { encoding: 'utf8' });
    assert.equal(noUrl.status, 2);
    assert.match(noUrl.stderr, /connect needs a URL/);
  });

  it('serve: engine flags and env are checked, and an unreachable Redis exits 1 with a plain message', () => {
    const serve = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(BIN, ['serve', '--port', '0', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 20_000,
      });
    const cases = [
      [serve(['--engine', 'kafka']), 2, /engine must be memory, redis or nats, got "kafka"/],
      [
        serve(['--redis-url', 'redis://127.0.0.1:6379']),
        2,
        /a Redis URL was given but the engine is memory: add --engine redis/,
      ],
      [
        serve(['--engine', 'redis', '--redis-url', 'redis-cluster://a:7000,b:7001']),
        2,
        /Redis Cluster is not supported/,
      ],
      [
        serve([], { SWITCHBOARD_ENGINE: 'redis', SWITCHBOARD_REDIS_URL: 'http://x' }),
        2,
        /unsupported Redis URL scheme/,
      ],
      // Port 1 on loopback: nothing listens there.
      [
        serve(['--engine', 'redis', '--redis-url', 'redis://127.0.0.1:1']),
        1,
        /^switchboard: engine unavailable: redis redis:\/\/127\.0\.0\.1:1: /m,
      ],
    ] as const;
    for (const [result, status, message] of cases) {
      assert.equal(result.status, status, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it(
    'serve --engine nats: flags, env and config are checked; no NATS, or NATS without JetStream, exits 1 plainly; ' +
      'a node starts on NATS',
    async () => {
      const serve = (args: string[], env: Record<string, string> = {}) =>
        spawnSync(BIN, ['serve', '--port', '0', ...args], {
          encoding: 'utf8',
          env: { ...process.env, ...env },
          timeout: 20_000,
        });
      const plain = await startNats({ jetstream: false });
      try {
        const cases = [
          [
            serve(['--nats-url', 'nats://127.0.0.1:4222']),
            2,
            /a NATS URL was given but the engine is memory: add --engine nats/,
          ],
          [serve(['--engine', 'redis', '--nats-replicas', '3']), 2, /natsReplicas apply to the NATS engine only/],
          [serve(['--engine', 'nats', '--nats-url', 'http://x']), 2, /a NATS URL looks like nats:\/\/host:4222/],
          [serve(['--engine', 'nats', '--nats-replicas', '0']), 2, /replicas must be a positive integer/],
          [
            serve([], { SWITCHBOARD_ENGINE: 'nats', SWITCHBOARD_NATS_STORAGE: 'disk' }),
            2,
            /storage must be 'file' or 'memory'/,
          ],
          // Port 1 on loopback: nothing listens there.
          [
            serve(['--engine', 'nats', '--nats-url', 'nats://127.0.0.1:1']),
            1,
            /^switchboard: engine unavailable: nats nats:\/\/127\.0\.0\.1:1: /m,
          ],
          [
            serve(['--engine', 'nats', '--nats-url', plain.url]),
            1,
            /^switchboard: engine unavailable: .*JetStream is not enabled/m,
          ],
        ] as const;
        for (const [result, status, message] of cases) {
          assert.equal(result.status, status, result.stderr);
          assert.match(result.stderr, message);
        }
      } finally {
        await plain.stop();
      }
      const node = spawn(
        BIN,
        [
          'serve',
          '--port',
          '0',
          '--workers',
          '1',
          '--engine',
          'nats',
          '--nats-url',
          'nats://127.0.0.1:4222',
          '--nats-storage',
          'memory',
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, SWITCHBOARD_NATS_PREFIX: `cli${process.pid}` },
        },
      );
      try {
        await waitForLine(node, /nats engine \(nats:\/\/127\.0\.0\.1:4222; 1 replica\(s\), memory storage\)/);
      } finally {
        node.kill('SIGKILL');
      }
    },
  );

  it('echo shuts down cleanly on SIGTERM, closing clients with 1001', async () => {
    const ws = new WS(`ws://127.0.0.1:${port}/`);
    await once(ws, 'open');
    const closed = once(ws, 'close');
    echo.kill('SIGTERM');
    const [code] = await closed;
    assert.equal(code, 1001);
    const [exitCode] = await once(echo, 'exit');
    assert.equal(exitCode, 0);
  });
});
