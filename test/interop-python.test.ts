// Interop with Debian's python3-websockets (10.x) on real sockets, in both directions.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer, type CloseEvent } from '@switchboard/websocket';

// The pyenv python3 on PATH lacks the package; Debian's interpreter has it.
const PYTHON = '/usr/bin/python3';
const FIXTURES = fileURLToPath(new URL('./fixtures/python/', import.meta.url));
const TEXT = 'héllo ✓ 🚀';
const BINARY = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
const MiB = 1024 * 1024;
/** Same formula as echo_client.py, so both sides build the 1 MiB payload independently. */
const BIG = Buffer.from(Uint8Array.from({ length: MiB }, (_, i) => (i * 31 + 7) & 0xff));

const children = new Set<ChildProcess>();

function python(script: string, args: string[] = []): ChildProcess {
  const child = spawn(PYTHON, [FIXTURES + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Collects a child's whole output; rejects on a non-zero exit so Python's traceback shows in the failure. */
async function run(child: ChildProcess): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  if (code !== 0) throw new Error(`python exited ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`);
  return stdout;
}

/** Yields stdout lines of a long-running child as they arrive. */
function lines(child: ChildProcess): { next(): Promise<string>; stderr(): string } {
  const ready: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buffered += s;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else ready.push(line);
    }
  });
  return {
    next: () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    stderr: () => stderr,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('our server ⇄ python-websockets client', () => {
  let server: WebSocketServer;
  let port: number;
  const serverCloses = new Map<string, { code: number; reason: string; wasClean: boolean }>();
  const closed = new Map<string, Promise<void>>();

  before(async () => {
    server = new WebSocketServer();
    server.on('connection', (ws, request) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      closed.set(
        request.target,
        new Promise((resolve) =>
          ws.on('close', (code, reason, wasClean) => {
            serverCloses.set(request.target, { code, reason, wasClean });
            resolve();
          }),
        ),
      );
    });
    ({ port } = await server.listen(0));
  });
  after(async () => {
    killAll();
    await server.close();
  });

  it('echoes text, binary and 1 MiB, answers a ping, and sees both close codes', { timeout: 20000 }, async () => {
    const spec = { text: TEXT, binary_hex: BINARY.toString('hex'), big_size: BIG.length };
    const stdout = await withTimeout(run(python('echo_client.py', [`ws://127.0.0.1:${port}/`, JSON.stringify(spec)])), 18000, 'python client');
    const out = JSON.parse(stdout);

    assert.deepEqual(out.extensions, [], 'no extension configured, so the offered permessage-deflate is declined');
    assert.deepEqual(out.text, { type: 'str', value: TEXT });
    assert.deepEqual(out.binary, { type: 'bytes', hex: BINARY.toString('hex') });
    assert.deepEqual(out.big, { type: 'bytes', length: MiB, sha256: sha256(BIG) });
    assert.equal(out.pong, true);
    // §5.5.1: our server echoes the status code of the close frame it received.
    assert.equal(out.first_close.code, 1000);
    assert.equal(out.second_close.code, 4000);

    await withTimeout(Promise.all([closed.get('/first'), closed.get('/second')]), 5000, 'server close events');
    assert.deepEqual(serverCloses.get('/first'), { code: 1000, reason: '', wasClean: true });
    assert.deepEqual(serverCloses.get('/second'), { code: 4000, reason: 'py bye ✓', wasClean: true });
  });
});

describe('our client ⇄ python-websockets echo server', () => {
  let peer: ChildProcess;
  let out: ReturnType<typeof lines>;
  let url: string;

  before(async () => {
    peer = python('echo_server.py');
    out = lines(peer);
    const first = await withTimeout(out.next(), 10000, 'python server port').catch((error) => {
      throw new Error(`${error.message}\nstderr: ${out.stderr()}`);
    });
    assert.match(first, /^\d+$/, `expected a port, got ${first}`);
    url = `ws://127.0.0.1:${first}`;
  });
  after(() => killAll());

  async function open(path: string): Promise<WebSocket> {
    const ws = new WebSocket(url + path);
    ws.binaryType = 'arraybuffer';
    const [event] = await withTimeout(Promise.race([once(ws, 'open'), once(ws, 'close')]), 5000, `open ${path}`);
    assert.equal((event as Event).type, 'open', `could not connect to ${path}`);
    return ws;
  }
  const next = (ws: WebSocket) => withTimeout(once(ws, 'message'), 10000, 'echo').then(([e]) => (e as MessageEvent).data);
  const closeEvent = (ws: WebSocket) => withTimeout(once(ws, 'close'), 10000, 'close').then(([e]) => e as CloseEvent);
  /** The JSON line Python prints when a connection ends: what close frame reached it. */
  const pythonSaw = async () => JSON.parse(await withTimeout(out.next(), 5000, 'python close report'));

  it('echoes text, binary (arraybuffer) and 1 MiB, then closes cleanly with 1000', { timeout: 20000 }, async () => {
    const ws = await open('/echo');
    ws.send(TEXT);
    assert.equal(await next(ws), TEXT);

    ws.send(BINARY);
    const bin = await next(ws);
    assert.ok(bin instanceof ArrayBuffer, 'binaryType arraybuffer yields an ArrayBuffer');
    assert.deepEqual(Buffer.from(bin), BINARY);

    ws.send(BIG);
    const big = await next(ws);
    assert.ok(big instanceof ArrayBuffer);
    assert.equal(big.byteLength, MiB);
    assert.equal(sha256(new Uint8Array(big)), sha256(BIG));

    ws.close(1000);
    const event = await closeEvent(ws);
    assert.deepEqual([event.code, event.wasClean], [1000, true]);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    assert.deepEqual(await pythonSaw(), { path: '/echo', code: 1000, reason: '' });
  });

  it('closes with 3001 and a reason; python receives and echoes both', { timeout: 20000 }, async () => {
    const ws = await open('/close3001');
    ws.close(3001, 'node bye ✓');
    const event = await closeEvent(ws);
    // python-websockets echoes the whole close frame, reason included.
    assert.deepEqual([event.code, event.reason, event.wasClean], [3001, 'node bye ✓', true]);
    assert.deepEqual(await pythonSaw(), { path: '/close3001', code: 3001, reason: 'node bye ✓' });
  });
});
