// Slow consumers under load. A publisher sends 10k msg/s for 10 s to a channel that one SDK subscriber in
// another process stops reading (SIGSTOP). Per namespace policy: server RSS (cap + a constant), the p99 of
// 100 other subscribers, and what the frozen client ends up with once thawed (docs/operations.md#slow-consumers).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';
import { startServe, stopChild } from './helpers/process.js';
import { spawnSdkSubscriber, subscriberReport } from './helpers/sdk-subscriber.js';
import { until } from './helpers/wait.js';

const RATE = 10_000;
const SECONDS = Number(process.env.SLOW_CONSUMER_SECONDS ?? 10);
const CAP = 1 << 20;
const CALM_SUBSCRIBERS = 100;
const PAD = 'x'.repeat(400);
const history = { size: RATE * SECONDS * 1.2, ttlMs: 600_000 };
const CONFIG = {
  allowAnonymous: true,
  maxSendBufferBytes: CAP,
  namespaces: {
    lossless: { history, allowPublish: true, backpressure: 'lossless' },
    latest: { history, allowPublish: true, backpressure: 'latest' },
    dropold: { history, allowPublish: true, backpressure: 'drop-oldest' },
    close: { history, allowPublish: true, backpressure: 'close' },
    calm: { allowPublish: true },
  },
};

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

interface Run {
  published: number;
  rssBefore: number;
  rssPeak: number;
  calmP99: number;
  hotP99: number;
  report: Awaited<ReturnType<typeof subscriberReport>>;
  /** Closes of the healthy hot subscriber: in the test process, which also publishes, it can itself fall behind. */
  hotCloses: number[];
  metrics: string;
}

/** One server process, 100 calm subscribers, a healthy and a frozen (unless `freeze` is false) hot subscriber. */
async function run(namespace: string, freeze: boolean, seconds = SECONDS): Promise<Run> {
  const config = join(tmpdir(), `sb-slow-${process.pid}.json`);
  writeFileSync(config, JSON.stringify(CONFIG));
  const { child: server, base } = await startServe(['--port', '0', '--config', config]);
  const children: ChildProcess[] = [server];
  const clients: Client[] = [];
  try {
    const url = `${base.replace('http', 'ws')}/connection/websocket`;
    const open = () => {
      const c = new Client(url, { WebSocket });
      clients.push(c);
      c.connect();
      return c;
    };
    const calm: number[] = [];
    for (let i = 0; i < CALM_SUBSCRIBERS; i++)
      open()
        .subscribe('calm:ticks')
        .on('publication', (p) => calm.push(Date.now() - (p.data as { t: number }).t));
    const hot: number[] = [];
    const channel = `${namespace}:hot`;
    const hotCloses: number[] = [];
    const hotClient = open();
    hotClient.on('disconnected', (e) => hotCloses.push(e.code));
    hotClient.subscribe(channel).on('publication', (p) => hot.push(Date.now() - (p.data as { t: number }).t));
    const publisher = open();
    const slow = spawnSdkSubscriber(url, channel);
    children.push(slow.child);
    await slow.lines.next((l) => l.event === 'ready');
    await until(() => clients.every((c) => c.state === 'connected'), 'clients connected');
    await sleep(300);
    const rssBefore = rssOf(server.pid!);
    if (freeze) slow.child.kill('SIGSTOP');

    let published = 0;
    let rssPeak = rssBefore;
    const acks: Promise<unknown>[] = [];
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const due = Math.min(RATE * seconds, Math.floor(((performance.now() - started) / 1000) * RATE));
      for (; published < due; published++) acks.push(publisher.publish(channel, { t: Date.now(), pad: PAD }));
      if (published % 200 < 100) acks.push(publisher.publish('calm:ticks', { t: Date.now() }));
      rssPeak = Math.max(rssPeak, rssOf(server.pid!));
      await sleep(10);
    }
    await Promise.all(acks);
    rssPeak = Math.max(rssPeak, rssOf(server.pid!));
    if (freeze) slow.child.kill('SIGCONT');
    let report = await subscriberReport(slow);
    for (
      const deadline = Date.now() + 30_000;
      report.lastOffset < published && Date.now() < deadline;
      report = await subscriberReport(slow)
    )
      await sleep(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    return {
      published,
      rssBefore,
      rssPeak,
      calmP99: p99(calm),
      hotP99: p99(hot),
      report,
      hotCloses: [...hotCloses],
      metrics,
    };
  } finally {
    for (const c of clients) c.disconnect();
    for (const child of children.reverse()) {
      child.kill('SIGCONT');
      await stopChild(child);
    }
  }
}

const metric = (text: string, pattern: RegExp) =>
  text
    .split('\n')
    .filter((l) => pattern.test(l))
    .join(' ') || '(none)';

describe(`slow consumer: ${RATE} msg/s for ${SECONDS} s, send buffer cap ${mib(CAP)}`, () => {
  let baseline: Run;
  const lines: string[] = [];
  after(() => console.log(lines.map((l) => `# ${l}`).join('\n')));

  it('baseline: the same load with the subscriber reading', async () => {
    await run('lossless', false, 2); // warms up the test process (tsx, JIT) so the baseline is not its slowest run
    baseline = await run('lossless', false);
    lines.push(
      `baseline: RSS ${mib(baseline.rssBefore)} → peak ${mib(baseline.rssPeak)}; p99 calm ${baseline.calmP99} ms, ` +
        `hot ${baseline.hotP99} ms; subscriber got ${baseline.report.received}/${baseline.published}`,
    );
    assert.equal(baseline.report.received, baseline.published);
  });

  const check = (r: Run) => {
    const growth = r.rssPeak - r.rssBefore - (baseline.rssPeak - baseline.rssBefore);
    return {
      growth,
      line:
        `RSS ${mib(r.rssBefore)} → peak ${mib(r.rssPeak)} (${mib(growth)} over baseline); p99 calm ${r.calmP99} ` +
        `ms, hot ${r.hotP99} ms`,
    };
  };
  const assertBounded = (r: Run, growth: number) => {
    // The cap in our buffer, as much again in a policy's queue, plus a constant for what the kernel refuses and GC
    // timing.
    assert.ok(growth < 2 * CAP + 32 * 2 ** 20, `RSS grew ${mib(growth)} over baseline`);
    // Loose on purpose: on 2 cores shared by server, clients and publisher, the baseline's own p99 varies 20–200 ms
    // from run to run. What it catches is a stall: a slow consumer that holds up the others' deliveries.
    assert.ok(
      r.calmP99 <= Math.max(3 * baseline.calmP99, baseline.calmP99 + 250),
      `calm p99 ${r.calmP99} vs ${baseline.calmP99} ms`,
    );
  };

  /**
   * `latest` / `drop-oldest`: every publication was either delivered or counted in a `skipped`, in order, up to the
   * top.
   */
  const assertSkippedOnPurpose = (r: Run) => {
    assert.equal(r.report.lastOffset, r.published);
    assert.equal(r.report.received + r.report.skipped, r.published);
    assert.ok(r.report.skipped > 0);
    assert.equal(r.report.outOfOrder + r.report.gaps, 0);
  };

  it('lossless: the frozen client catches up from history, every publication once and in order', async () => {
    const r = await run('lossless', true);
    const { growth, line } = check(r);
    lines.push(
      `lossless: ${line}; thawed client: ${r.report.received}/${r.published} received, ` +
        `out of order ${r.report.outOfOrder}, gaps ${r.report.gaps}, closes ` +
        `[${r.report.closes}]; ${metric(r.metrics, /slow_consumer_events_total\{/)}`,
    );
    assert.equal(r.report.received, r.published);
    assert.equal(r.report.outOfOrder, 0);
    assert.equal(r.report.gaps, 0);
    assert.deepEqual(r.report.closes, []);
    assertBounded(r, growth);
  });

  it('latest: the newest publication survives, the rest are counted as skipped', async () => {
    const r = await run('latest', true);
    const { growth, line } = check(r);
    lines.push(
      `latest: ${line}; thawed client: ${r.report.received} received + ${r.report.skipped} ` +
        `coalesced = ${r.report.received + r.report.skipped}/${r.published}, last ` +
        `offset ${r.report.lastOffset}; ${metric(r.metrics, /slow_consumer_events_total\{/)}`,
    );
    assertSkippedOnPurpose(r);
    assertBounded(r, growth);
  });

  it('drop-oldest: a bounded queue, its drops told to the client', async () => {
    const r = await run('dropold', true);
    const { growth, line } = check(r);
    lines.push(
      `drop-oldest: ${line}; thawed client: ${r.report.received} received + ${r.report.skipped} ` +
        `dropped = ${r.report.received + r.report.skipped}/${r.published}` +
        `; ${metric(r.metrics, /slow_consumer_events_total\{/)}`,
    );
    assertSkippedOnPurpose(r);
    assertBounded(r, growth);
  });

  it('close: disconnected (3008); the client reconnects, recovers or resyncs, and ends at the top', async () => {
    const r = await run('close', true);
    const { growth, line } = check(r);
    lines.push(
      `close: ${line}; thawed client: closes [${r.report.closes}], ${r.report.received}/${r.published} received, ` +
        `then ${r.report.gaps} gap → ${r.report.snapshots} snapshot (more missed than maxRecoveredPublications), ` +
        `last offset ${r.report.lastOffset}; healthy hot subscriber closes ` +
        `[${r.hotCloses}]; ${metric(r.metrics, /slow_consumer_events_total\{|disconnects_total\{code="3008"/)}`,
    );
    // 3008 when the client reads the close frame; 1006 when the server's close timeout reset the socket first.
    assert.equal(r.report.closes.length, 1);
    assert.ok([3008, 1006].includes(r.report.closes[0]));
    // The server closes exactly the connections that fell a cap behind: the frozen one, and the healthy hot subscriber
    // only if the busy test process let it fall that far behind too (seen once in CI on 2 cores).
    const closed = 1 + r.hotCloses.filter((code) => code === 3008 || code === 1006).length;
    assert.equal(r.hotCloses.length, closed - 1, `healthy subscriber closed with [${r.hotCloses}]`);
    assert.match(
      r.metrics,
      new RegExp(`switchboard_disconnects_total\\{code="3008",transport="websocket"\\} ${closed}\\n`),
    );
    assert.equal(r.report.lastOffset, r.published);
    assert.equal(r.report.outOfOrder, 0);
    // Never silently behind: everything was delivered, or the client was told (gap) and resynced.
    assert.ok(r.report.received === r.published || (r.report.gaps === 1 && r.report.snapshots === 1));
    assert.match(
      r.metrics,
      new RegExp(`switchboard_slow_consumer_events_total\\{policy="close",outcome="closed"\\} ${closed}\\n`),
    );
    assertBounded(r, growth);
  });
});
