// The throwaway services tests start (redis-server, nats-server): ports that are distinct, and a
// start-up that fails at once, not never, when the port is not the service's (a CI run once hung
// for good: a NATS cluster got one port twice, and the probe waited on a silent monitoring port).
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { freePorts, retryStart, ServiceExitedError, ServiceProcess } from '../src/loopback-service.js';
import { startNats } from '../src/nats-process.js';

/** A listener that accepts and never says a word, as an HTTP port does to a NATS probe. */
async function silentListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port: (server.address() as { port: number }).port, close };
}

describe('loopback services for tests', { timeout: 30_000 }, () => {
  it('freePorts hands out distinct ports', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freePorts(9);
      assert.equal(new Set(ports).size, 9, `ports ${ports}`);
    }
  });

  it('a service whose port is taken by a silent listener fails start-up at once with ServiceExitedError', async () => {
    const taken = await silentListener();
    try {
      const nats = new ServiceProcess(
        'nats-server',
        ['-a', '127.0.0.1', '-p', String(taken.port)],
        taken.port,
        { name: 'nats-server', expect: 'INFO' },
        10_000,
      );
      const started = performance.now();
      await assert.rejects(
        nats.launch(),
        (e) =>
          e instanceof ServiceExitedError &&
          /nats-server on port \d+ exited during start-up \(code 1\)/.test(e.message),
      );
      assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
    } finally {
      await taken.close();
    }
  });

  it('retryStart tries again after a ServiceExitedError, and passes other errors through', async () => {
    let calls = 0;
    assert.equal(
      await retryStart(async () => {
        if (++calls < 3) throw new ServiceExitedError('port taken');
        return 'up';
      }),
      'up',
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      retryStart(async () => {
        calls++;
        throw new Error('no JetStream meta leader');
      }),
      /no JetStream meta leader/,
    );
    assert.equal(calls, 1);
  });

  it('startNats gives a server that answers, and stop() ends it', async () => {
    const nats = await startNats();
    const pid = nats.pid!;
    process.kill(pid, 0);
    await nats.stop();
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  });
});
