// switchboard bench, storm and size, small and bounded for CI (the 20,000-connection bench and the
// 5,000-client storms are commands run by hand: see docs/operations.md and docs/sizing.md).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { benchReport, planFleet, type BenchResult, type CostModel, type FleetTarget } from '@switchboard/loadtest';
import { BIN, startServe, stopChild } from './helpers/process.js';

const run = promisify(execFile);
const API_KEY = 'fleet-tools-test-key-0123456789';

describe('switchboard bench and storm against a local serve', () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  before(async () => {
    const config = join(tmpdir(), `sb-fleet-${process.pid}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        apiKey: API_KEY,
        allowAnonymous: true,
        namespaces: { bench: {}, storm: { history: { size: 1000, ttlMs: 60_000 } } },
      }),
    );
    server = await startServe(['--port', '0', '--config', config]);
  });
  after(() => stopChild(server.child));

  it('bench: 400 connections over 2 workers, every delivery checked, server CPU read from /proc', async () => {
    const url = `${server.base.replace('http', 'ws')}/connection/websocket`;
    const { stdout } = await run(
      BIN,
      [
        'bench',
        '--url',
        url,
        '--prefix',
        'bench:',
        '--api-key',
        API_KEY,
        '-n',
        '400',
        '-c',
        '4',
        '-r',
        '40',
        '-d',
        '2',
        '--workers',
        '2',
        '--json',
      ],
      { timeout: 60_000 },
    );
    const r = JSON.parse(stdout);
    assert.equal(r.connections.opened, 400);
    assert.equal(r.deliveries.lost, 0);
    assert.equal(r.deliveries.duplicates, 0);
    // Each publication reaches the 100 connections of its channel.
    assert.equal(r.deliveries.total, r.publish.published * 100);
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p99 >= r.latencyMs.p50 && r.latencyMs.max >= r.latencyMs.p99);
    assert.deepEqual(r.server.pids, [Number(server.child.pid)]);
    assert.ok(r.server.cpuMicrosPerDelivery > 0);
  });

  it('bench: a wrong API key shows as failed publishes, a bad URL as a usage error', async () => {
    const url = `${server.base.replace('http', 'ws')}/connection/websocket`;
    // Refused publishes never reach anyone: they count as lost, and a run with losses exits 1.
    const failed = (await run(
      BIN,
      [
        'bench',
        '--url',
        url,
        '--prefix',
        'bench:',
        '--api-key',
        'wrong-key-0123456789',
        '-n',
        '10',
        '-c',
        '1',
        '-r',
        '10',
        '-d',
        '1',
        '--json',
      ],
      { timeout: 30_000 },
    ).then(
      () => assert.fail('exit 0 despite losses'),
      (e: { code: number; stdout: string }) => e,
    )) as { code: number; stdout: string };
    assert.equal(failed.code, 1);
    const r = JSON.parse(failed.stdout);
    assert.equal(r.deliveries.lost, r.deliveries.expected);
    assert.equal(r.publish.failed, r.publish.published);
    assert.equal(r.errors['publish-401'], r.publish.failed);
    await assert.rejects(
      run(BIN, ['bench', '--url', 'http://x', '--api-key', API_KEY]),
      (e: { code: number; stderr: string }) => e.code === 2 && /ws:\/\//.test(e.stderr),
    );
    await assert.rejects(
      run(BIN, ['bench', '--url', url, '--api-key', API_KEY, '-n', '100000', '--source-addresses', '127.0.0.1']),
      (e: { code: number; stderr: string }) =>
        e.code === 2 && /1 address\(es\) have \d+ ephemeral ports each, fewer than 100000/.test(e.stderr),
    );
  });

  it('bench: connections take the source addresses in turn', async () => {
    const url = `${server.base.replace('http', 'ws')}/connection/websocket`;
    // 192.0.2.1 (TEST-NET-1) is on no interface here: every second connection cannot bind, so exactly half fail.
    const failed = (await run(
      BIN,
      [
        'bench',
        '--url',
        url,
        '--prefix',
        'bench:',
        '--api-key',
        API_KEY,
        '-n',
        '20',
        '-c',
        '2',
        '-r',
        '10',
        '-d',
        '1',
        '--source-addresses',
        '127.0.0.7,192.0.2.1',
        '--json',
      ],
      { timeout: 60_000 },
    ).then(
      (ok) => ok,
      (e: { stdout: string }) => e,
    )) as { stdout: string };
    const r = JSON.parse(failed.stdout);
    assert.deepEqual(r.connections.sourceAddresses, ['127.0.0.7', '192.0.2.1']);
    assert.equal(r.connections.opened, 10);
    assert.equal(r.connections.failed, 10);
    assert.deepEqual(r.errors, { EADDRNOTAVAIL: 40 }); // 1 try + 3 retries each
    assert.equal(r.deliveries.lost, 0);
  });

  it('storm: 150 SDK clients cut at once come back, none of the publications lost', async () => {
    const { stdout } = await run(
      BIN,
      [
        'storm',
        '--node',
        server.base,
        '--api-key',
        API_KEY,
        '-n',
        '150',
        '-c',
        '5',
        '-r',
        '20',
        '--cut',
        '--policy',
        'shipped',
        '--timeout',
        '30',
        '--json',
      ],
      { timeout: 90_000 },
    );
    const [r] = JSON.parse(stdout);
    assert.equal(r.disconnected, 150);
    assert.ok(r.reconnectedMs.p100 !== null, 'all back');
    assert.ok(r.reconnectedMs.p50 <= r.reconnectedMs.p99 && r.reconnectedMs.p99 <= r.reconnectedMs.p100);
    assert.ok(r.published > 0);
    assert.equal(r.lost, 0);
    assert.equal(r.duplicates, 0);
    assert.ok(r.wave.length > 0 && r.peakHandshakesPerS > 0);
  });

  it('storm --policy all: shipped, fixed and immediate in turn, each wave all back with nothing lost', async () => {
    const { stdout } = await run(
      BIN,
      [
        'storm',
        '--node',
        server.base,
        '--api-key',
        API_KEY,
        '-n',
        '60',
        '-c',
        '5',
        '-r',
        '20',
        '--cut',
        '--timeout',
        '30',
        '--json',
      ],
      { timeout: 180_000 },
    );
    const results = JSON.parse(stdout) as {
      policy: string;
      disconnected: number;
      reconnectedMs: { p100: number | null };
      lost: number;
      duplicates: number;
    }[];
    assert.deepEqual(
      results.map((r) => r.policy),
      ['shipped', 'fixed', 'immediate'],
    );
    for (const r of results) {
      assert.equal(r.disconnected, 60, r.policy);
      assert.ok(r.reconnectedMs.p100 !== null, `${r.policy}: all back`);
      assert.deepEqual([r.lost, r.duplicates], [0, 0], r.policy);
    }
  });

  it('size --measure against this serve, --save, then size --costs FILE plans from the saved costs', async () => {
    const costsFile = join(tmpdir(), `sb-costs-${process.pid}.json`);
    const url = `${server.base.replace('http', 'ws')}/connection/websocket`;
    const measured = await run(
      BIN,
      [
        'size',
        '--measure',
        '--url',
        url,
        '--api-key',
        API_KEY,
        '--measure-connections',
        '200',
        '--save',
        costsFile,
        '--json',
      ],
      { timeout: 120_000 },
    );
    const { costs, plan } = JSON.parse(measured.stdout) as {
      costs: CostModel;
      plan: { nodes: number; binding: string };
    };
    assert.ok(costs.connectionBytes > 0 && costs.handshakeCpuUs.plain > 0, JSON.stringify(costs));
    assert.ok(plan.nodes >= 1 && plan.binding !== '');
    const planned = await run(BIN, ['size', '--costs', costsFile, '--connections', '50000', '--json'], {
      timeout: 30_000,
    });
    const again = JSON.parse(planned.stdout) as { costs: CostModel; plan: { nodes: number } };
    assert.deepEqual(again.costs, costs, 'the saved costs are the measured ones');
    assert.deepEqual(
      again.plan,
      planFleet(costs, (again as unknown as { target: FleetTarget }).target),
      'the plan is the model’s',
    );
  });
});

describe('switchboard bench against the default serve (the demo: the chat namespace only)', () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  let url: string;
  before(async () => {
    server = await startServe(['--port', '0'], { ...process.env, SWITCHBOARD_API_KEY: API_KEY });
    url = `${server.base.replace('http', 'ws')}/connection/websocket`;
  });
  after(() => stopChild(server.child));
  /** Runs the bin to its exit, resolving either way. */
  const bench = (args: string[]) =>
    run(BIN, ['bench', '--api-key', API_KEY, ...args], { timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('works as it is: every publication reaches its channel, none lost, no NaN', async () => {
    const r = await bench(['--url', url, '-n', '50', '-c', '5', '-r', '20', '-d', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^switchboard bench: websocket, 50\/50 connections/m);
    assert.match(r.stdout, /lost 0, duplicates 0/);
    const published = Number(/ (\d+) publications of/.exec(r.stdout)?.[1]);
    assert.ok(published > 0);
    // Each publication reaches the 10 connections of its channel.
    assert.equal(Number(/deliveries +(\d+) in/.exec(r.stdout)?.[1]), published * 10);
    assert.doesNotMatch(r.stdout + r.stderr, /NaN/);
  });

  it('a port where nothing listens: exit 1 at once, with one line and no NaN', async () => {
    const started = Date.now();
    // Port 1 on loopback: nothing listens there.
    const r = await bench(['--url', 'ws://127.0.0.1:1/connection/websocket', '-n', '1000', '-d', '10']);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 10_000, 'stops before its 10 s of publishing');
    assert.equal(r.stdout, '');
    const refused = 'every connection failed to ws://127.0.0.1:1/connection/websocket: connect ECONNREFUSED';
    assert.ok(r.stderr.startsWith(`switchboard: ${refused} `) && r.stderr.endsWith('\n'), r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.doesNotMatch(r.stderr, /NaN/);
  });

  it('a prefix whose namespace the server lacks: exit 1 with the 102 line', async () => {
    const r = await bench(['--url', url, '--prefix', 'bench:', '-n', '100', '-d', '10']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const hint = ' (is --prefix bench: a namespace of the server? the default serve has chat:)\n';
    assert.ok(r.stderr.startsWith('switchboard: every subscribe failed with 102 unknown namespace'), r.stderr);
    assert.ok(r.stderr.endsWith(hint) && r.stderr.split('\n').length === 2, r.stderr);
  });
});

describe('switchboard bench: the report', () => {
  it('shows a figure without samples as "–", never NaN', () => {
    const none = { p50: NaN, p99: NaN, max: 0, samples: 0 };
    const r: BenchResult = {
      transport: 'websocket',
      connections: { target: 1, opened: 1, failed: 0, attempts: 1, workers: 1, sourceAddresses: [] },
      connect: { seconds: 0.1, perSecond: 10, p50Ms: 1, p99Ms: 1, maxMs: 1 },
      publish: { mode: 'rate', published: 3, perSecond: 3, failed: 3, payloadBytes: 64, channels: 1 },
      deliveries: { total: 0, perSecond: 0, expected: 3, lost: 3, duplicates: 0 },
      latencyMs: { ...none, withinMs: () => 0 },
      firstLatencyMs: none,
      errors: { 'publish-401': 3 },
      closes: {},
      server: { pids: [1], cpuSeconds: 0.01, cpuMicrosPerDelivery: NaN },
      seconds: 1,
    };
    const text = benchReport(r);
    assert.doesNotMatch(text, /NaN/);
    assert.match(text, /publish→deliver p50 –, p99 –, max – \(0 samples\)/);
    assert.match(text, /= no deliveries$/m);
  });
});

describe('switchboard size: the fleet model', () => {
  const costs: CostModel = {
    connectionBytes: 7000,
    kernelBytes: 1000,
    subscriptionBytes: 200,
    handshakeCpuUs: { plain: 200 },
    deliveryCpuUs: { '64': 2, '1024': 4 },
    publishCpuUs: 50,
  };
  const target: FleetTarget = {
    connections: 1_000_000,
    subscriptionsPerConnection: 5,
    publishRate: 1000,
    fanout: 10,
    payloadBytes: 64,
    auth: 'plain',
    coresPerNode: 8,
    memoryGbPerNode: 16,
    surgeShare: 0.5,
    surgeSeconds: 30,
    fdLimit: 1_048_576,
    ephemeralPorts: 64_511,
    lbAddresses: 4,
    nicGbps: 10,
    brokerPublishRate: 150_000,
    utilisation: 0.7,
    spareNodes: 0,
  };

  it('memory binds for idle-heavy fleets: 16 GiB × 70 % / 9,000 B', () => {
    const plan = planFleet(costs, target);
    assert.equal(plan.binding, 'memory');
    const perNode = Math.floor((16 * 2 ** 30 * 0.7) / 9000);
    assert.equal(plan.nodes, Math.ceil(1_000_000 / perNode));
    assert.equal(planFleet(costs, { ...target, spareNodes: 1 }).nodes, plan.nodes + 1);
  });

  it('CPU binds when fan-out is heavy, and the surge lowers the ceiling', () => {
    const plan = planFleet(costs, { ...target, publishRate: 100_000, fanout: 100 });
    assert.equal(plan.binding, 'CPU steady');
    const steady = plan.ceilings.find((c) => c.name === 'CPU steady')!.perNode;
    // 10 deliveries/s per connection × 2 µs = 20 µs/s; 8 cores × 70 %.
    assert.ok(Math.abs(steady - (8e6 * 0.7) / 20) < 1);
    const calm = planFleet(costs, { ...target, surgeShare: 0.01 });
    const stormy = planFleet(costs, { ...target, surgeShare: 1, surgeSeconds: 5 });
    assert.ok(stormy.ceilings[2].perNode < calm.ceilings[2].perNode);
    assert.equal(plan.clusterLimits[0].ok, true);
    assert.equal(planFleet(costs, { ...target, publishRate: 200_000 }).clusterLimits[0].ok, false);
  });
});
