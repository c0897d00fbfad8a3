// `switchboard serve --workers N` as real processes on a real Redis: the port shared by
// N workers (each a node), /metrics over every worker, the box drained by SIGTERM, the
// memory engine refused, and a worker SIGKILLed mid-stream under SDK clients with recovery.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Client } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';
import { API_KEY, AppSubscriber, LedgerPublisher, tally, type Node } from './helpers/cluster.js';
import { BIN } from './helpers/process.js';
import { until } from './helpers/wait.js';

const REDIS = 'redis://127.0.0.1:6379';

/**
 * A `serve --workers` primary, its stdout lines (banner and JSON logs of the primary and workers), and its workers'
 * pids by slot.
 */
interface Box {
  child: ChildProcess;
  node: Node;
  lines: string[];
  logs: Record<string, any>[];
  prefix: string;
}

async function startBox(workers: number, extra: string[] = []): Promise<Box> {
  const prefix = `workers:${process.pid}:${Date.now()}:`;
  const config = join(tmpdir(), `sb-workers-${process.pid}-${Date.now()}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      allowAnonymous: true,
      apiKey: API_KEY,
      namespaces: {
        feed: { history: { size: 10_000, ttlMs: 600_000 }, allowPublish: true, maxRecoveredPublications: 10_000 },
      },
      drainBatchSize: 10,
      drainIntervalMs: 100,
      drainReconnectWindowMs: 500,
    }),
  );
  const child = spawn(
    BIN,
    [
      'serve',
      '--port',
      '0',
      '--engine',
      'redis',
      '--redis-url',
      REDIS,
      '--workers',
      String(workers),
      '--config',
      config,
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SWITCHBOARD_REDIS_PREFIX: prefix },
    },
  );
  const lines: string[] = [];
  const logs: Record<string, any>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    if (line.startsWith('{')) logs.push(JSON.parse(line));
  });
  await until(() => lines.some((l) => l.startsWith('  workers ')), 'the primary printed its banner', 20_000);
  const base = /demo page\s+(http:\/\/\S+)\//.exec(lines.join('\n'))![1];
  const nodeId = /node (\w+),/.exec(lines.join('\n'))![1];
  return {
    child,
    lines,
    logs,
    prefix,
    node: { child, base, ws: `${base.replace('http', 'ws')}/connection/websocket`, nodeId, prefix },
  };
}

/** Pid and node id of each worker slot as the primary last logged it. */
function workersOf(box: Box): Map<number, { pid: number; nodeId: string }> {
  const slots = new Map<number, { pid: number; nodeId: string }>();
  for (const l of box.logs)
    if (l.node === 'primary' && (l.msg === 'worker listening' || l.msg === 'worker restarted'))
      slots.set(l.worker, { pid: l.pid, nodeId: l.nodeId });
  return slots;
}

async function apiOf(box: Box, method: string, body: object = {}): Promise<any> {
  const res = await fetch(`${box.node.base}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `apikey ${API_KEY}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return res.json();
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

describe('serve --workers', { timeout: 90_000 }, () => {
  const boxes: Box[] = [];
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const box of boxes) {
      if (box.child.exitCode === null) box.child.kill('SIGKILL');
      for (const { pid } of workersOf(box).values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited
        }
      }
      await cleanRedis(box.prefix);
    }
  });

  it('refuses more than one worker on the memory engine, saying why and what to use', () => {
    const result = spawnSync(BIN, ['serve', '--port', '0', '--workers', '2'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 2, result.stderr);
    const why =
      '--workers 2 needs a shared engine: with the memory engine each worker would be an island (clients on ' +
      "different workers would not see each other's publications, history or presence); use --engine redis or " +
      '--engine nats';
    assert.ok(result.stderr.includes(why), result.stderr);
    const env = spawnSync(BIN, ['serve', '--port', '0'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, SWITCHBOARD_WORKERS: 'x' },
    });
    assert.equal(env.status, 2);
    assert.match(env.stderr, /SWITCHBOARD_WORKERS must be a non-negative integer/);
    assert.match(
      spawnSync(BIN, ['serve', '--workers', '0'], { encoding: 'utf8' }).stderr,
      /workers must be 1–64, got 0/,
    );
    assert.match(
      spawnSync(BIN, ['serve', '--engine', 'redis', '--worker-scheduling', 'fifo'], { encoding: 'utf8' }).stderr,
      /workerScheduling must be rr or none/,
    );
  });

  it(
    'spreads connections over 3 workers, ' + 'answers /metrics and stats for all, and drains every worker on SIGTERM',
    async () => {
      const box = await startBox(3, ['--worker-scheduling', 'rr']);
      boxes.push(box);
      const workers = workersOf(box);
      assert.equal(workers.size, 3);
      const names = (await apiOf(box, 'info')).nodes.map((n: any) => n.name).sort();
      assert.deepEqual(
        names.map((n: string) => n.replace(/.*-w/, 'w')),
        ['w0', 'w1', 'w2'],
      );
      const closes: number[] = [];
      const closed = new Set<Client>();
      for (let i = 0; i < 30; i++) {
        const c = new Client(box.node.ws, { WebSocket });
        // The first close of each (later ones are refused reconnects: the box is gone).
        c.on('disconnected', (e) => c.state !== 'closed' && !closed.has(c) && (closed.add(c), closes.push(e.code)));
        clients.push(c);
        c.connect();
      }
      await until(() => clients.every((c) => c.state === 'connected'), '30 clients connected', 10_000);
      const stats = await apiOf(box, 'stats');
      const perWorker = stats.nodes.map((n: any) => n.connectionsByTransport.websocket ?? 0);
      assert.equal(stats.nodes.length, 3, 'stats (and so /admin) sees every worker');
      assert.equal(
        perWorker.reduce((a: number, b: number) => a + b, 0),
        30,
      );
      assert.ok(perWorker.filter((n: number) => n > 0).length >= 2, `connections on several workers: ${perWorker}`);
      for (let i = 0; i < 3; i++) {
        // Whichever worker answers, the figures are the box's: 30 connections, 3 processes' memory.
        const text = await (await fetch(`${box.node.base}/metrics`)).text();
        assert.match(text, /^switchboard_connections\{transport="websocket"\} 30$/m);
        const rss = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)![1]);
        assert.ok(rss > 3 * 30e6, `RSS summed over 3 workers: ${rss}`);
      }
      console.log(`# 3 workers: connections per worker ${perWorker.join('/')}; /metrics sums all 3`);
      box.child.kill('SIGTERM');
      const [code] = await once(box.child, 'exit');
      assert.equal(code, 0);
      for (const { pid } of workers.values()) assert.throws(() => process.kill(pid, 0), 'every worker exited');
      const drained = box.logs.filter((l) => l.msg === 'drain started').map((l) => l.node);
      assert.deepEqual(new Set(drained), new Set([...workers.values()].map((w) => w.nodeId)));
      await until(() => closes.length === 30, 'every client was closed');
      assert.ok(
        closes.every((c) => c === 1012),
        `closed with 1012: ${closes}`,
      );
      for (const c of clients.splice(0)) c.disconnect();
    },
  );

  it('restarts a SIGKILLed worker; its clients reconnect to the others and recover: 0 lost, 0 duplicates', async () => {
    const box = await startBox(3, ['--worker-scheduling', 'rr']);
    boxes.push(box);
    const channel = 'feed:crash';
    const ledger = new LedgerPublisher(() => [box.node], channel);
    const subscribers = Array.from({ length: 60 }, () => new AppSubscriber(box.node.ws, channel, ledger));
    await until(() => subscribers.every((s) => s.ready), '60 subscribed', 15_000);
    const victim = workersOf(box).get(1)!;
    const onVictim = subscribers.filter((s) => s.nodes[0] === victim.nodeId);
    let killedAt = 0;
    await ledger.run(1, 1000, 100, (seq) => {
      if (seq === 300) {
        process.kill(victim.pid, 'SIGKILL');
        killedAt = Date.now();
      }
    });
    await ledger.settled();
    await until(
      () => subscribers.every((s) => s.missing(ledger).length === 0),
      'every subscriber holds every publication',
      15_000,
    );
    const restarted = box.logs.find((l) => l.msg === 'worker restarted' && l.worker === 1);
    assert.ok(restarted, 'the primary restarted worker 1');
    assert.ok(
      box.logs.some(
        (l) => l.msg === 'worker exited unexpectedly: restarting' && l.worker === 1 && l.signal === 'SIGKILL',
      ),
    );
    const t = tally(subscribers, ledger);
    const reconnected = onVictim.filter((s) => s.nodes.length >= 2 && s.nodes[1] !== victim.nodeId);
    console.log(
      `# worker 1 killed at seq 300 of 1000: ${onVictim.length}/60 clients were on it, ${reconnected.length} ` +
        `reconnected to other workers, recovered; lost ${t.lost} dup ${t.duplicates} outOfOrder ${t.outOfOrder} ` +
        `gaps ${t.gaps} snapshots ${t.snapshots}; restarted in ${restarted.downMs} ms (pid ${victim.pid} ` +
        `→ ${restarted.pid})`,
    );
    assert.ok(onVictim.length > 0, 'some clients were on the killed worker');
    assert.equal(reconnected.length, onVictim.length);
    assert.deepEqual(
      { lost: t.lost, duplicates: t.duplicates, outOfOrder: t.outOfOrder, snapshots: t.snapshots },
      { lost: 0, duplicates: 0, outOfOrder: 0, snapshots: 0 },
    );
    assert.ok(killedAt > 0);
    for (const s of subscribers) s.client.disconnect();
    // A drain begun on whichever worker answers the API drains the whole box.
    await apiOf(box, 'drain');
    const current = [...workersOf(box).values()].map((w) => w.nodeId);
    await until(
      () => current.every((id) => box.logs.some((l) => l.msg === 'drain started' && l.node === id)),
      'every worker drains after one /api/drain',
    );
    box.child.kill('SIGTERM');
    assert.equal((await once(box.child, 'exit'))[0], 0);
  });
});
