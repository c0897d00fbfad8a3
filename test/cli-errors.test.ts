// Every subcommand's errors, as users see them from the built bin: one stderr line
// `switchboard: <what> (<how to fix it>)`, no stack trace, exit 2 for usage and 1 for runtime.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN } from './helpers/process.js';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000, input: '' });

function assertOneLine(args: string[], status: 1 | 2, pattern: RegExp, env?: Record<string, string>): void {
  const result = run(args, env);
  const shown = `switchboard ${args.join(' ')}:\n${result.stderr}`;
  assert.equal(result.status, status, shown);
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `exactly one stderr line; ${shown}`);
  assert.match(lines[0], /^switchboard: /, shown);
  assert.doesNotMatch(result.stderr, /^ {4}at /m, `no stack trace; ${shown}`);
  assert.match(lines[0], pattern, shown);
}

describe('switchboard errors: one line, no stack, exit 2 (usage) or 1 (runtime)', { timeout: 180_000 }, () => {
  let busy: Server;
  let busyPort: number;
  const dir = tmpdir();
  const badJson = join(dir, `sb-cli-errors-${process.pid}.json`);
  const emptyCosts = join(dir, `sb-cli-errors-costs-${process.pid}.json`);

  before(async () => {
    busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    busyPort = (busy.address() as { port: number }).port;
    writeFileSync(badJson, '{ "port": 1, ');
    writeFileSync(emptyCosts, '{}');
  });
  after(() => busy.close());

  const valueFlags: Record<string, string> = {
    serve: '--port',
    echo: '--port',
    connect: '--origin',
    token: '--sub',
    bench: '--url',
    storm: '--node',
    size: '--costs',
  };

  for (const [command, flag] of Object.entries(valueFlags)) {
    it(`${command}: an unknown flag, and ${flag} without its value, are usage errors naming the flag`, () => {
      assertOneLine(
        [command, '--no-such-flag'],
        2,
        new RegExp(`unknown option --no-such-flag \\(see switchboard ${command} --help\\)$`),
      );
      assertOneLine([command, flag], 2, new RegExp(`${flag} needs a value \\(see switchboard ${command} --help\\)$`));
      assertOneLine([command, '--help=yes'], 2, /--help takes no value/);
    });
  }

  it('an unknown command is one line listing the commands', () => {
    assertOneLine(['nope'], 2, /unknown command "nope" \(one of serve, echo, connect, .*; see switchboard --help\)$/);
  });

  it('serve: bad values from a flag, the environment or the config file name the option and where it came from', () => {
    assertOneLine(['serve', '--port', 'abc'], 2, /--port must be a non-negative integer, got "abc"/);
    assertOneLine(
      ['serve', '--port', '70000'],
      2,
      /port must be 0–65535, got 70000 \(from --port; see switchboard serve --help\)$/,
    );
    assertOneLine(
      ['serve', '--port', '0'],
      2,
      /SWITCHBOARD_MAX_MESSAGE_SIZE must be a non-negative integer, got "big"/,
      { SWITCHBOARD_MAX_MESSAGE_SIZE: 'big' },
    );
    assertOneLine(
      ['serve', '--port', '0'],
      2,
      /maxMessageSize must be a positive integer, got 0 \(from SWITCHBOARD_MAX_MESSAGE_SIZE;/,
      { SWITCHBOARD_MAX_MESSAGE_SIZE: '0' },
    );
    assertOneLine(['serve', '--config', badJson], 2, /--config .* is not a JSON object/);
    assertOneLine(
      ['serve', '--config', join(dir, 'no-such-switchboard.json')],
      2,
      /cannot read --config .*no-such-switchboard\.json/,
    );
    const typo = join(dir, `sb-cli-errors-typo-${process.pid}.json`);
    writeFileSync(typo, JSON.stringify({ maxMesageSize: 1000 }));
    assertOneLine(
      ['serve', '--config', typo],
      2,
      /--config .*: unknown option "maxMesageSize" \(did you mean "maxMessageSize"\?/,
    );
    const ping = join(dir, `sb-cli-errors-ping-${process.pid}.json`);
    writeFileSync(ping, JSON.stringify({ pingIntervalMs: 1000, pongTimeoutMs: 5000, compression: { threshold: 10 } }));
    assertOneLine(
      ['serve', '--port', '0', '--config', ping],
      2,
      /^switchboard: pongTimeoutMs must be less than pingIntervalMs/,
    );
  });

  it('serve and echo: a busy port is one line with the port and the fix, exit 1 (serve --workers too)', () => {
    assertOneLine(
      ['serve', '--port', String(busyPort)],
      1,
      new RegExp(
        `port ${busyPort} on 127\\.0\\.0\\.1 is already in use \\(stop the process that holds it, or choose another` +
          ` port with --port\\)$`,
      ),
    );
    assertOneLine(
      ['echo', '--port', String(busyPort)],
      1,
      new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use`),
    );
    assertOneLine(
      ['serve', '--port', String(busyPort), '--engine', 'redis', '--workers', '2', '--log-level', 'silent'],
      1,
      new RegExp(`port ${busyPort} .* already in use`),
      { SWITCHBOARD_REDIS_PREFIX: `sbclierr${process.pid}:` },
    );
  });

  it('serve: an unreachable engine is one line for the whole box, however many workers', () => {
    assertOneLine(
      [
        'serve',
        '--port',
        '0',
        '--engine',
        'redis',
        '--redis-url',
        'redis://127.0.0.1:1',
        '--workers',
        '2',
        '--log-level',
        'silent',
      ],
      1,
      /^switchboard: engine unavailable: redis redis:\/\/127\.0\.0\.1:1: /,
    );
  });

  it('connect: a closed port exits 1 with one line', () => {
    assertOneLine(
      ['connect', 'ws://127.0.0.1:1/'],
      1,
      /cannot connect to ws:\/\/127\.0\.0\.1:1\/: connect ECONNREFUSED/,
    );
    assertOneLine(['connect'], 2, /connect needs a URL/);
  });

  it('token, bench, storm, size: their own usage errors and bad files are one line too', () => {
    assertOneLine(['token', '--sub', 'x'], 2, /token needs --secret S or SWITCHBOARD_JWT_SECRET/, {
      SWITCHBOARD_JWT_SECRET: '',
    });
    assertOneLine(['bench', '--url', 'http://x'], 2, /--url must be a ws:\/\/ URL/);
    assertOneLine(['storm'], 2, /give at least one --node/);
    assertOneLine(
      ['size', '--costs', join(dir, 'no-such-costs.json')],
      2,
      /--costs .*no-such-costs\.json is not a readable cost model \(give a file written by switchboard size --measure/,
    );
    assertOneLine(['size', '--costs', emptyCosts], 2, /is not a readable cost model/);
  });
});
