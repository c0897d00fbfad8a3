// A decompression bomb against `switchboard echo --deflate` in its own process: 1 GiB of zeros, compressed to ~1 MB,
// must be cut off with 1009 while the server's peak RSS grows by less than 64 MB.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import WS from 'ws';
import { createNodeDeflateCodec } from '@switchboard/websocket';
import { firstCloseCode, rawRequest, readUntil, upgradeRequest } from './helpers/raw-peer.js';

const BIN = fileURLToPath(new URL('../node_modules/.bin/switchboard', import.meta.url));
const GiB = 1024 * 1024 * 1024;

/** Peak and current resident set of a process, in bytes. */
function memory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

/** 1 GiB of zeros as one permessage-deflate payload (trailer stripped), built 1 MiB at a time. */
function bomb(): Buffer {
  const deflate = createNodeDeflateCodec().acquireDeflate(15);
  const zeros = new Uint8Array(1024 * 1024);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < GiB / zeros.length; i++) parts.push(deflate.compress(zeros));
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 4);
}

function maskedFrame(firstByte: number, payload: Buffer): Buffer {
  const key = randomBytes(4);
  const header = Buffer.alloc(10);
  header[0] = firstByte;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([header, key, body]);
}

describe('decompression bomb', { timeout: 120_000 }, () => {
  it('closes with 1009 and server RSS grows by < 64 MB', async () => {
    const payload = bomb();
    const server = spawn(BIN, ['echo', '--deflate', '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      server.stdout!.on('data', (c: Buffer) => (out += c));
      while (!/:(\d+) \(/.test(out)) await once(server.stdout!, 'data');
      const port = Number(/:(\d+) \(/.exec(out)![1]);

      // Warm the server up with a normal compressed exchange first, so the baseline includes zlib.
      const warm = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
      await once(warm, 'open');
      warm.send('x'.repeat(5000));
      await once(warm, 'message');
      const before = memory(server.pid!);

      const socket = await rawRequest(port, upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
      const head = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
      assert.match(head.toString('latin1'), /Sec-WebSocket-Extensions: permessage-deflate/);
      const answer = readUntil(socket, (b) => firstCloseCode(b) !== undefined, 30_000);
      socket.on('error', () => {}); // the server may close before we finish writing
      socket.write(maskedFrame(0xc2, payload)); // binary, RSV1, FIN
      const reply = await answer;
      const code = firstCloseCode(reply);
      socket.destroy();
      const after = memory(server.pid!);
      const growth = after.peak - before.peak;
      console.log(
        `bomb: ${payload.length} compressed bytes → 1 GiB; close code ${code}; ` +
          `server peak RSS ${(before.peak / 1e6).toFixed(1)} MB → ${(after.peak / 1e6).toFixed(1)} ` +
          `MB (+${(growth / 1e6).toFixed(1)} MB)`,
      );
      assert.equal(code, 1009);
      assert.ok(growth < 64 * 1024 * 1024, `peak RSS grew by ${growth} bytes`);

      // The server is still fine for others.
      warm.send('still alive');
      assert.equal(String((await once(warm, 'message'))[0]), 'still alive');
      warm.close();
    } finally {
      server.kill('SIGKILL');
    }
  });
});
